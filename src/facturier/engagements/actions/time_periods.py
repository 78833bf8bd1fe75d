"""A time-based mission's period on the run's invoice: the mission's unbilled entries
dated in the period, at the staff rates in force (their WIP value), through the
WIP-to-invoice path (`invoicing.actions.wip_lines` and `hold_on_draft`): linked to the
draft, out of WIP, billed when it is finalized. The cap ("not to exceed", per period)
counts what was billed of the period's entries by hand; above it, the entries are
billed pro rata and the difference is a write-down recorded on each entry's link to the
invoice, on the invoice's history and on the billed period.

An entry of the period without a rate stops the engagement's run: a failure with its
reason, on the billing-run page, until the rate is set and the run retried.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core.errors import DomainError
from facturier.core.formatting import Formatter
from facturier.firms.models import User
from facturier.invoicing import actions as invoicing_actions
from facturier.work import actions as work
from facturier.work.models import Entry, EntryKind

from .. import texts
from ..models import Engagement
from ..selectors import DuePeriod, billed_by_hand


class RateMissing(DomainError):
    code = "missing_rate"
    status = 409
    default_message = gettext_lazy(
        "No rate in force for %(staff)s on %(day)s (mission %(mission)s): set the staff "
        "member's rate, then retry."
    )


@dataclass
class TimeBill:
    """What a time period puts on the draft, and what it records."""

    due: DuePeriod
    rows: list[Entry] = field(default_factory=list)
    shares: dict[int, Decimal] = field(default_factory=dict)
    lines: list[dict] = field(default_factory=list)
    value: Decimal = Decimal(0)
    billed: Decimal = Decimal(0)
    note: str = ""
    reason: str = ""

    @property
    def written_down(self) -> Decimal:
        return self.value - self.billed


def time_bill(engagement: Engagement, due: DuePeriod) -> TimeBill:
    """The period's entries, locked, and the lines that bill them."""
    mission, period, client = due.mission, due.period, engagement.client
    ids = Entry.objects.filter(
        mission_link__mission=mission,
        client_id=client.pk,
        day__range=(period.start, period.end),
        state=Entry.State.UNBILLED,
        billable=True,
    ).values_list("pk", flat=True)
    rows = work.lock_unbilled(engagement.firm_id, list(ids), client.pk) if ids else []
    bill = TimeBill(due, rows=rows)
    if not rows:
        return bill
    _refuse_unrated(rows, mission.name)
    bill.value = sum((entry.amount for entry in rows), Decimal(0))
    bill.billed = bill.value
    if mission.time_cap is not None:
        room = max(mission.time_cap - billed_by_hand(mission, period.start, period.end), 0)
        bill.billed = min(bill.value, room)
    lines, bill.shares = invoicing_actions.wip_lines(
        rows, bill.billed, vat_rate=mission.vat_rate, client=client
    )
    bill.lines = [{**line, "description": _named(mission.name, line)} for line in lines]
    if bill.written_down:
        fmt = Formatter(client.language, client.currency)
        bill.note = texts.cap_line(mission, period, bill.value, client.language, client.currency)
        bill.reason = _("Cap of %(cap)s per period (%(mission)s)") % {
            "cap": fmt.money(mission.time_cap),
            "mission": mission.name,
        }
    return bill


def _named(mission: str, line: dict) -> str:
    """The line says its mission, unless its work code already has the mission's name."""
    text = line["description"]
    return text if text.startswith(mission) else f"{mission} – {text}"


def _refuse_unrated(rows: list[Entry], mission: str) -> None:
    unrated = [e for e in rows if e.kind == EntryKind.TIME and e.rate is None]
    if unrated:
        entry = min(unrated, key=lambda e: (e.day, e.pk))
        staff = User.objects.get(pk=entry.staff_id)
        fmt = Formatter(translation.get_language() or "en", "EUR")
        raise RateMissing(
            staff=staff.get_full_name() or staff.username, day=fmt.date(entry.day), mission=mission
        )


def hold(invoice, bills: list[TimeBill], *, by: User, now) -> None:
    for bill in bills:
        invoicing_actions.hold_on_draft(
            invoice, bill.rows, bill.shares, by=by, reason=bill.reason[:200], now=now
        )
