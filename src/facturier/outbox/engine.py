"""Carrying out deliveries: claim one, try it, record what came of it.

The promises, for every kind of delivery:
- a delivery is claimed by a conditional update (due, and not held by a live
  lease), so two workers never try the same one at once, and a task run twice
  tries it once; a worker claims a few at a time (one update, one read) and
  starts each try only while the lease it took is almost whole, handing back
  what it did not start;
- every try counts as an attempt, whatever goes wrong (the message cannot be
  built, the server answers 4xx, the worker dies mid-send and its lease runs
  out), except a failure of the firm's own configuration (credentials refused,
  a server that cannot be reached): that holds the delivery, uncounted, with the
  deliveries sharing those settings (one probe per HOLD, not one refusal per
  message), and they go by themselves once a probe succeeds;
- a failed delivery goes again only when a person asks (requeue, once);
- past `max_attempts` the delivery ends failed with a reason a person can read;
  nothing claims it again;
- errors that cannot get better (5xx, a message that cannot be built) fail at once.
"""

import datetime
import logging
from collections.abc import Iterator
from dataclasses import replace

from django.conf import settings
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facturier.core import clock
from facturier.core.actions import action
from facturier.outbox.models import DeliveryStatus

from .kinds import DeliveryKind, Outcome
from .models import Delivery

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=2)
# A claimed delivery's try starts only this soon after the claim: every try has most
# of the lease to finish before another worker may take the delivery over.
START_WITHIN = datetime.timedelta(seconds=10)
# A delivery held by the firm's configuration is tried again this soon, uncounted.
HOLD = datetime.timedelta(minutes=1)


def backoff(attempt: int) -> datetime.timedelta:
    """30 s, 2 min, 8 min, 32 min, ... capped at 2 h."""
    return datetime.timedelta(seconds=min(30 * 4 ** (attempt - 1), 7200))


def _waiting(now: datetime.datetime) -> Q:
    return Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.RETRYING], next_attempt_at__lte=now)


def _abandoned(now: datetime.datetime) -> Q:
    """Claimed by a worker that vanished: its lease ran out."""
    return Q(status=DeliveryStatus.SENDING, lease_until__lt=now)


def due(model: type[Delivery], now: datetime.datetime) -> QuerySet:
    """What a worker should try now, within the attempt limit."""
    return model.objects.filter(_waiting(now) | _abandoned(now)).filter(
        attempts__lt=F("max_attempts")
    )


def exhausted(model: type[Delivery], now: datetime.datetime) -> QuerySet:
    """Abandoned after the last attempt: to be closed as failed, never tried again."""
    return model.objects.filter(_abandoned(now), attempts__gte=F("max_attempts"))


@action
def claim(model: type[Delivery], pk: int, *, now: datetime.datetime) -> bool:
    """Take the delivery for this worker (one conditional update); False if not ours.

    The attempt number it took is the row's `attempts`, read with the row."""
    return bool(due(model, now).filter(pk=pk).update(**_taken(now)))


def _taken(now: datetime.datetime) -> dict:
    """What a claim writes: held by a lease, one more attempt."""
    return {
        "status": DeliveryStatus.SENDING,
        "lease_until": now + LEASE,
        "attempts": F("attempts") + 1,
    }


def settle(item: Delivery, attempt: int, outcome: Outcome, **fields) -> bool:
    """Store an outcome if attempt `attempt` still holds the delivery; False if not.

    Called by each kind's record action, inside its transaction.
    """
    now = timezone.now()
    values = {
        "status": outcome.status,
        "lease_until": None,
        "last_error": outcome.reason,
        "last_error_texts": outcome.texts,
        "held_since": None,
    }
    if outcome.status == DeliveryStatus.RETRYING:
        values["next_attempt_at"] = now + backoff(attempt)
    if outcome.details.get("held"):
        # The firm's configuration failed, not the delivery: the try is given back.
        values["attempts"] = attempt - 1
        values["next_attempt_at"] = now + HOLD
        values["held_since"] = item.held_since or now
    values.update(fields)
    mine = type(item).objects.filter(pk=item.pk, status=DeliveryStatus.SENDING, attempts=attempt)
    if not mine.update(**values):
        return False
    for name, value in values.items():
        setattr(item, name, value)
    return True


def requeue(rows: QuerySet, *, now: datetime.datetime) -> int:
    """Queue failed deliveries again (a person asked for it), each once: only a row
    still failed changes, so a second request finds nothing to do. The attempts made
    stay counted (a retried deposit first looks for the flow an earlier try may have
    left) and a fresh budget of attempts is added. Called by each kind's retry action."""
    budget = rows.model._meta.get_field("max_attempts").default
    return rows.filter(status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        lease_until=None,
        held_since=None,
        max_attempts=F("attempts") + budget,
    )


def held(rows: QuerySet) -> QuerySet:
    """Those of `rows` that a failure of the firm's configuration holds."""
    return rows.filter(status=DeliveryStatus.RETRYING, held_since__isnull=False)


@action
def resume_held(rows: QuerySet, *, now: datetime.datetime) -> int:
    """The configuration changed: the held deliveries are due now, not at the next
    minute. Called by the action that saves the configuration, and by a starting
    worker (the mail settings come from its environment)."""
    return held(rows).filter(next_attempt_at__gt=now).update(next_attempt_at=now)


@action
def claim_batch(model: type[Delivery], pks: list[int], *, now: datetime.datetime) -> list[int]:
    """Take those of `pks` that are due for this worker; returns them.

    The due rows are locked first (PostgreSQL: those another worker is claiming are
    skipped; SQLite: the transaction holds the only write lock), then updated as
    `claim` does, so each is claimed by exactly one worker."""
    mine = list(
        due(model, now)
        .filter(pk__in=pks)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    model.objects.filter(pk__in=mine).update(**_taken(now))
    return sorted(mine)


@action
def release(model: type[Delivery], items: list[Delivery]) -> int:
    """Hand back claimed deliveries that were not tried: due again, the attempt their
    claim counted taken back (if they are still held by that claim)."""
    released = 0
    for item in items:
        released += model.objects.filter(
            pk=item.pk,
            status=DeliveryStatus.SENDING,
            attempts=item.attempts,
            lease_until=item.lease_until,
        ).update(
            status=DeliveryStatus.RETRYING if item.attempts > 1 else DeliveryStatus.QUEUED,
            lease_until=None,
            attempts=F("attempts") - 1,
        )
    return released


def process(
    kind: DeliveryKind, pk: int, *, transport=None, now: datetime.datetime | None = None
) -> str:
    """Try one delivery if it is due and nobody else holds it; returns its status after."""
    now = clock.now(now)
    if not claim(kind.model, pk, now=now):
        close_exhausted(kind, now=now, pk=pk)
        return kind.model.objects.values_list("status", flat=True).get(pk=pk)
    # Held by this worker's lease: its attempts are this try's number.
    outcome = _attempt(kind, kind.rows().get(pk=pk), transport)
    if outcome.details.get("held"):
        hold_queue(kind, pk, outcome)
    return outcome.status


def process_batch(
    kind: DeliveryKind, pks: list[int], *, transport=None
) -> Iterator[tuple[int, str]]:
    """Try those of `pks` that are due and free, one after the other, as `process` does
    for one: yields (pk, status after) for each tried. Claimed together and read in
    one query; any not started (the claim grew old, or the caller stopped iterating)
    is released for the next pass."""
    claimed = claim_batch(kind.model, pks, now=timezone.now())
    items = list(kind.rows().filter(pk__in=claimed).order_by("pk"))
    held = None
    try:
        while items:
            if timezone.now() > items[0].lease_until - LEASE + START_WITHIN:
                break
            item = items.pop(0)
            outcome = _attempt(kind, item, transport)
            if outcome.details.get("held"):
                held = (item.pk, outcome)
            yield item.pk, outcome.status
            if held:
                break  # the others would meet the same refusal: they wait with it
    finally:
        if items:
            release(kind.model, items)
        if held:
            hold_queue(kind, *held)


def attempt(kind: DeliveryKind, item: Delivery, transport) -> str:
    """One try of a delivery this worker holds: send, then record what came of it."""
    return _attempt(kind, item, transport).status


def _attempt(kind: DeliveryKind, item: Delivery, transport) -> Outcome:
    number = item.attempts
    try:
        outcome = kind.send(item, transport)
    except Exception as exc:  # noqa: BLE001 - every failure is an attempt, sorted by classify
        outcome = _explained(kind, item, number, exc)
    kind.record(item, number, outcome)
    return outcome


def _explained(kind: DeliveryKind, item: Delivery, number: int, exc: Exception) -> Outcome:
    """What a failed try came to, its reason in the language of who asked for the
    delivery (`last_error`, the API's) and in each language a page may be read in."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            said = _held(kind, exc, quiet=True) or _failure(kind, item, number, exc, quiet=True)
        texts[code] = said.reason
    with translation.override(kind.language(item)):
        outcome = _held(kind, exc) or _failure(kind, item, number, exc)
    return replace(outcome, texts=texts)


def in_every_language(make_reason) -> dict[str, str]:
    """{language: make_reason()} for each language the app speaks."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(make_reason())
    return texts


def _held(kind: DeliveryKind, exc: Exception, *, quiet: bool = False) -> Outcome | None:
    """A failure of the firm's own configuration (refused credentials, a server that
    cannot be reached): the delivery waits, no attempt counted, until a pass succeeds."""
    try:
        words = kind.held(exc) if hasattr(kind, "held") else None
    except Exception:  # noqa: BLE001 - a classifier bug must not wedge the delivery
        logger.exception("%s: could not tell whether %r holds the queue", kind.name, exc)
        return None
    if words is None:
        return None
    if not quiet:
        logger.warning("%s: held by the firm's configuration: %s", kind.name, words)
    reason = _("Held: the server said “%(words)s”. It goes by itself once the settings are right.")
    return Outcome(DeliveryStatus.RETRYING, reason % {"words": words}, {"held": True})


@action
def hold_queue(kind: DeliveryKind, pk: int, outcome: Outcome) -> int:
    """One try met a failure of the settings: the deliveries of the kind that share
    them (the kind's `held_scope`: every one for the mail server, the firm's for a
    platform) wait with it, uncounted and said held, instead of each meeting the same
    refusal (a server counting failed logins would lock the account). Returns how many."""
    now = timezone.now()
    scope = kind.held_scope(kind.model.objects.get(pk=pk)) if hasattr(kind, "held_scope") else {}
    waiting = Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.RETRYING])
    return (
        kind.model.objects.filter(waiting, next_attempt_at__lt=now + HOLD, **scope)
        .exclude(pk=pk)
        .update(
            status=DeliveryStatus.RETRYING,
            next_attempt_at=now + HOLD,
            last_error=outcome.reason,
            last_error_texts=outcome.texts,
            held_since=Coalesce("held_since", Value(now)),
        )
    )


def _failure(
    kind: DeliveryKind, item: Delivery, attempt: int, exc: Exception, *, quiet: bool = False
) -> Outcome:
    try:
        retry, reason = kind.classify(exc)
    except Exception:  # noqa: BLE001 - a classifier bug must not wedge the delivery
        if not quiet:
            logger.exception("%s %s: could not classify %r", kind.name, item.pk, exc)
        retry, reason = True, f"{type(exc).__name__}: {exc}"
    reason = str(reason)
    if retry and attempt < item.max_attempts:
        if not quiet:
            logger.warning(
                "%s %s: attempt %s failed, will retry: %s", kind.name, item.pk, attempt, reason
            )
        return Outcome(DeliveryStatus.RETRYING, reason)
    if retry:
        reason = _("%(reason)s Gave up after %(count)d attempts.") % {
            "reason": reason,
            "count": attempt,
        }
    if not quiet:
        logger.error("%s %s failed: %s", kind.name, item.pk, reason)
    return Outcome(DeliveryStatus.FAILED, reason)


def close_exhausted(kind: DeliveryKind, *, now: datetime.datetime, pk: int | None = None) -> int:
    """Fail the deliveries abandoned after their last attempt; returns how many."""
    rows = exhausted(kind.model, now)
    if pk is not None:
        rows = rows.filter(pk=pk)
    closed = 0
    for item in rows:

        def interrupted(item=item) -> str:
            return _(
                "No answer after %(count)d attempts: the sending was interrupted each time."
            ) % {"count": item.attempts}

        with translation.override(kind.language(item)):
            reason = interrupted()
        texts = in_every_language(interrupted)
        try:
            kind.record(item, item.attempts, Outcome(DeliveryStatus.FAILED, reason, texts=texts))
        except Exception:  # noqa: BLE001 - one bad row never stops the others
            logger.exception("%s %s: could not record its failure", kind.name, item.pk)
            continue
        closed += 1
    return closed
