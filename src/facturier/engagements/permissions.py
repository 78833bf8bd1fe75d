"""Who may see and manage engagements, declared once.

Managing an engagement (creating, amending, ending it, billing its periods) follows the
drafting of invoices: an owner of the client with the processing permission. Seeing one
follows the client's visibility (owners, or processing). Index values are firm settings.
"""

from django.db.models import F, Func, IntegerField, Q, QuerySet
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from facturier.clients.permissions import (
    can_process,
    in_a_firm,
    lacking_owner_and_processing,
    lacking_processing,
    owned_client_ids,
)
from facturier.core.errors import NotAllowed, NotFound

from .models import Engagement

NO_SUCH_ENGAGEMENT = _("No such engagement.")


class AsValue(Func):
    """A column read as a plain value (SQL's unary plus): SQLite then looks for no index
    to match a term on it, and starts the query from another term's index."""

    template = "(+%(expressions)s)"
    output_field = IntegerField()


def engagement_scope(user, path: str = "", *, firm_indexed: bool = True) -> Q:
    """The engagements the user sees, as a filter on `path` (the way from the rows asked
    to their engagement): the firm's for one with the processing permission, else those
    of the clients the user owns (as visible_clients says, on the engagement's own
    columns: the pages filter and order thousands of rows without a subquery).

    firm_indexed=False: the firm is tested on each row found by the query's other terms
    (a day's billed periods), not used to walk the firm's thousands of engagements."""
    if not in_a_firm(user):
        return Q(pk__in=[])
    if firm_indexed:
        scope = Q(**{f"{path}firm_id": user.firm_id})
    else:
        scope = Q(Exact(AsValue(F(f"{path}firm_id")), user.firm_id))
    if not can_process(user):
        scope &= Q(**{f"{path}client_id__in": owned_client_ids(user)})
    return scope


def visible_engagements(user) -> QuerySet[Engagement]:
    return Engagement.objects.filter(engagement_scope(user))


def manageable_client_ids(user) -> frozenset[int]:
    """The clients whose engagements the user may manage and bill."""
    return owned_client_ids(user) if lacking_processing(user) is None else frozenset()


def manage_refusal(user, client_id: int | None) -> NotAllowed | None:
    lack = lacking_owner_and_processing(user, client_id)
    return None if lack is None else NotAllowed(lack)


def run_refusal(user) -> NotAllowed | None:
    lack = lacking_processing(user) if in_a_firm(user) else _("You are not in a firm.")
    return None if lack is None else NotAllowed(lack)


def may_manage(user, engagement: Engagement) -> bool:
    return manage_refusal(user, engagement.client_id) is None


def get_visible(user, pk) -> Engagement:
    engagement = visible_engagements(user).filter(pk=pk).first()
    if engagement is None:
        raise NotFound(NO_SUCH_ENGAGEMENT)
    return engagement
