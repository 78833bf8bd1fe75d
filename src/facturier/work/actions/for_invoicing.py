"""What invoicing asks of entries: lock unbilled ones for a draft, and move them along
WIP (drafted, billed, back to unbilled) in the invoicing action's transaction."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.utils.translation import gettext as _

from facturier.core.errors import Invalid

from .. import wip_totals
from ..models import Entry


def lock_unbilled(firm_id: int, ids: Iterable[int], client_id: int) -> list[Entry]:
    """The entries, locked, if each is unbilled, billable work of the client; else refused."""
    ids = sorted(set(ids))
    rows = list(
        Entry.objects.select_for_update()
        .filter(firm_id=firm_id, pk__in=ids)
        .select_related("work_code")
        .order_by("pk")
    )
    problems = []
    if len(rows) != len(ids):
        problems.append(_("Some entries do not exist."))
    for entry in rows:
        if entry.client_id != client_id:
            problems.append(_("Entry %(id)d is another client's.") % {"id": entry.pk})
        elif entry.state != Entry.State.UNBILLED:
            problems.append(_("Entry %(id)d is on an invoice already.") % {"id": entry.pk})
    if problems:
        raise Invalid({"entries": problems}, codes={"entries": ["not_billable"]})
    return rows


def set_state(
    entry_ids: Iterable[int], state: str, *, amounts: Mapping[int, Decimal] | None = None
) -> None:
    """Move entries along WIP: drafted (on a draft), billed (with what was charged), or
    back to unbilled. Called by the invoicing actions, in their transaction; the WIP
    months follow."""
    ids = list(entry_ids)
    if not ids:
        return
    entries = list(Entry.objects.filter(pk__in=ids).only(*wip_totals.FIELDS, "pk"))
    leaving = [e for e in entries if wip_totals.in_wip(e.state, e.billable)]
    for entry in entries:
        entry.state = state
    # One UPDATE for the state, one per distinct billed amount (a pro-rata split has few):
    # not a CASE per row, which grows with every entry.
    Entry.objects.filter(pk__in=ids).update(state=state, billed_amount=None)
    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for pk, amount in (amounts or {}).items():
        by_amount[amount].append(pk)
    for amount, pks in by_amount.items():
        Entry.objects.filter(pk__in=pks).update(billed_amount=amount)
    if not wip_totals.in_wip(state, True):
        wip_totals.left(wip_totals.row_of(entry) for entry in leaving)
    else:
        wip_totals.entries_entered([e for e in entries if e.billable and e not in leaving])
