"""What the invoice of an engagement's billing day holds: its lines and notes in the
client's language, the periods it bills, and the engagement's audit row for it. Written
by a run billing one engagement alone (billing.py) or a batch together (together.py)."""

from decimal import Decimal

from django.utils import timezone

from facturier.core import clock
from facturier.firms import audit
from facturier.invoicing.models import Invoice

from .. import texts
from ..models import BilledPeriod, Engagement, Revision
from ..selectors import DuePeriod, related


def content(engagement: Engagement, fixed: list[DuePeriod], timed: list, *, as_of):
    """A billing day's invoice as create_draft takes it: its lines and fields (none
    when nothing is to be billed), and the revisions it tells the client of."""
    language = engagement.client.language
    revisions = to_announce(engagement, fixed)
    lines = [
        {
            "description": texts.period_line(due.mission.name, due.period, language),
            "quantity": "1",
            "unit_price": str(due.amount),
            "vat_rate": str(due.mission.vat_rate),
        }
        for due in fixed
    ]
    lines += [line for bill in timed for line in bill.lines]
    if not lines:
        return [], {}, revisions
    notes = [texts.version_line(engagement.reference, engagement.version, language)]
    notes += [texts.revision_line(r.percent, r.effective_date, language) for r in revisions]
    notes += [bill.note for bill in timed if bill.note]
    fields = {"issue_date": as_of, "notes": "\n".join(notes)}
    if engagement.payment_terms_days is not None:
        fields["payment_terms_days"] = engagement.payment_terms_days
    return lines, fields, revisions


def announce(revisions: list[Revision], invoice: Invoice) -> None:
    if revisions:
        Revision.objects.filter(pk__in=[r.pk for r in revisions]).update(announced_on=invoice)


def billed_event(engagement, periods: list[DuePeriod], timed: list, invoice, *, by, now):
    """The engagement's audit row for the invoice of a billing day (not written)."""
    return audit.event(
        "engagement.billed",
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        at=clock.now(now),
        details={
            "invoice": invoice.pk,
            "version": engagement.version,
            "periods": [f"{d.mission.name} {d.period.start}" for d in periods],
            "written_down": str(sum((b.written_down for b in timed), Decimal(0))),
        },
    )


def to_announce(engagement: Engagement, fixed: list[DuePeriod]) -> list[Revision]:
    """The revisions the client has not been told of, in force for these fixed fees; one
    that leaves the fees as they were (a factor of 1) has nothing to tell."""
    if not fixed:
        return []
    last = max(due.period.start for due in fixed)
    return [
        revision
        for revision in related(engagement, "revisions")
        if revision.announced_on_id is None
        and revision.effective_date <= last
        and revision.factor != 1
    ]


def period_rows(engagement, fixed, timed, invoice, *, now) -> list[BilledPeriod]:
    """The periods' rows (not written): the unique key refuses a period billed already
    (the savepoint then rolls back the whole day, or the whole batch billed together)."""
    billed_at = clock.now(now)
    late = timezone.localdate(billed_at)

    def row(due: DuePeriod, amount, **extra) -> BilledPeriod:
        return BilledPeriod(
            mission=due.mission,
            part=due.part,
            period_start=due.period.start,
            period_end=due.period.end,
            amount=amount,
            version=engagement.version,
            invoice=invoice,
            billed_at=billed_at,
            late=due.period.bill_date < late,
            instalment=due.period.instalment,
            **extra,
        )

    return [row(due, due.amount) for due in fixed] + [
        row(b.due, b.billed, wip_value=b.value, written_down=b.written_down) for b in timed
    ]
