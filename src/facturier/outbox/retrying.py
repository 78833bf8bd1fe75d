"""Failed deliveries tried again when a person asks, and what holds the queue, for
every kind at once (the outbox page, the settings, the API).

Each kind that may be retried says so on the kind its app registers: a stable `code`
(for URLs and the API), what a user may see of it, and its app's retry actions,
which check the rights, queue the delivery again (engine.requeue) and write the
audit trail and the invoice's history. The outbox only dispatches to them, so it
still knows nothing of invoices, letters or platforms.
"""

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.contrib.auth.models import AbstractBaseUser as User
from django.db.models import Count, Min, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from facturier.core.actions import action
from facturier.core.errors import DomainError, NotFound

from . import engine
from .kinds import registered
from .models import Delivery, DeliveryStatus

if TYPE_CHECKING:
    from .kinds import DeliveryKind


class Retryable(Protocol):
    code: str
    label: Promise
    listed_with: tuple[str, ...]  # what a list of them shows (select_related)

    def visible(self, user: Any) -> "QuerySet[Delivery]":
        """The deliveries of this kind the user may see."""

    def retry(self, delivery: int, *, by: Any) -> Delivery:
        """The owning app's action: queue one failed delivery again."""

    def retry_failed(self, *, by: Any) -> list[Delivery]:
        """The owning app's action: queue again every failed one the user may retry."""


NO_SUCH_KIND = _("No such kind of delivery.")


class NotRetryable(DomainError):
    """Only a failed delivery is tried again on request: one sent stays sent, one
    under way is already being tried."""

    code = "not_retryable"
    status = 409
    default_message = _("Only a failed delivery can be tried again.")


ALREADY_DELIVERED = _("It was already delivered: it cannot be tried again.")
UNDER_WAY = _("It is already on its way: it will be tried again by itself.")


def requeue_one(item: Delivery, *, now: datetime.datetime) -> None:
    """Queue `item` again if it failed (the retry actions' common step), else say why
    not. Two requests at once: the second finds it queued, and is refused."""
    model = type(item)
    if not engine.requeue(model.objects.filter(pk=item.pk), now=now):
        status = model.objects.values_list("status", flat=True).get(pk=item.pk)
        raise NotRetryable(ALREADY_DELIVERED if status == DeliveryStatus.SENT else UNDER_WAY)
    item.refresh_from_db()


def retryable() -> list["Retryable"]:
    return [kind for kind in registered() if hasattr(kind, "retry")]


def kind_named(code: str) -> "Retryable":
    for kind in retryable():
        if kind.code == code:
            return kind
    raise NotFound(NO_SUCH_KIND)


@action
def retry_delivery(*, by: User, kind: str, delivery: int) -> Delivery:
    """Queue one failed delivery of `kind` again (see each kind's retry)."""
    return kind_named(kind).retry(delivery, by=by)


@action
def retry_failed_deliveries(*, by: User, kind: str | None = None) -> dict[str, int]:
    """Queue again every failed delivery the user may retry, of one kind or all;
    returns how many of each kind. Rights are each kind's: a user who may retry none
    of a kind is refused, and nothing is queued."""
    kinds = [kind_named(kind)] if kind else retryable()
    return {each.code: len(each.retry_failed(by=by)) for each in kinds}


@dataclass(frozen=True)
class QueueState:
    """Where one kind's queue stands for a firm: what holds it and since when (with
    the server's words), and how many deliveries failed."""

    code: str
    label: str
    held: int
    held_since: datetime.datetime | None
    words: str
    failed: int

    @property
    def needs_attention(self) -> bool:
        return bool(self.held or self.failed)


def queue_states(user: User) -> list[QueueState]:
    states = []
    for kind in retryable():
        rows = kind.visible(user)
        held = engine.held(rows)
        summary = held.aggregate(count=Count("pk"), since=Min("held_since"))
        latest = held.order_by("-next_attempt_at", "-pk").first()
        states.append(
            QueueState(
                code=kind.code,
                label=str(kind.label),
                held=summary["count"],
                held_since=summary["since"],
                words=latest.said if latest is not None and summary["count"] else "",
                failed=rows.filter(status=DeliveryStatus.FAILED).count(),
            )
        )
    return states


def failed(user: User, *, limit: int = 200) -> list[tuple["DeliveryKind", Delivery]]:
    """The failed deliveries the user sees, newest first within each kind."""
    return [
        (kind, item)
        for kind in retryable()
        for item in kind.visible(user)
        .filter(status=DeliveryStatus.FAILED)
        .select_related(*getattr(kind, "listed_with", ()))
        .order_by("-pk")[:limit]
    ]
