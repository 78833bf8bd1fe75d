"""The recurring run: every engagement's periods come due, billed once each.

Each engagement is billed in its own savepoint: one that fails (an index value missing,
a draft refused) is reported and the others go on. A period's row in BilledPeriod is
written with its draft; a second run, or a run at the same time in another process,
meets the unique constraint on (mission, period start) and leaves that period alone
(PostgreSQL makes the second writer wait for the first to commit, then refuses it).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import DomainError, Invalid
from facturier.firms import audit
from facturier.firms.models import Firm, User
from facturier.invoicing import actions as invoicing_actions

from .. import texts
from ..models import BilledPeriod, Engagement, Revision
from ..permissions import manageable_client_ids, run_refusal
from ..revisions import planned
from ..selectors import DuePeriod, due_periods

# How far ahead a run may bill (periods billed in advance, a year's instalments).
AHEAD = datetime.timedelta(days=400)


@dataclass
class RunResult:
    invoices: list = field(default_factory=list)
    periods: int = 0
    skipped: int = 0  # periods another run billed first
    failures: list[tuple[Engagement, str]] = field(default_factory=list)


@action
def bill_due_periods(
    firm: Firm,
    *,
    by: User,
    as_of: datetime.date,
    now: datetime.datetime | None = None,
) -> RunResult:
    """One draft per engagement and billing day come due by `as_of`, for the engagements
    of the clients `by` owns (with the processing permission)."""
    refusal = run_refusal(by)
    if refusal is not None:
        raise refusal
    if as_of > clock.now(now).date() + AHEAD:
        raise Invalid(
            {"as_of": [_("Bill at most a year ahead.")]}, codes={"as_of": ["too_far_ahead"]}
        )
    result = RunResult()
    engagements = Engagement.objects.filter(
        firm_id=getattr(firm, "pk", firm),
        client_id__in=manageable_client_ids(by),
        start_date__lte=as_of,
    ).select_related("client")
    for engagement in engagements.order_by("pk"):
        try:
            with transaction.atomic():
                _revise(engagement, as_of=as_of, by=by, now=now)
                _bill(engagement, as_of=as_of, by=by, now=now, result=result)
        except DomainError as exc:
            result.failures.append((engagement, exc.message))
    return result


def _revise(engagement: Engagement, *, as_of, by, now) -> None:
    known = set(engagement.revisions.values_list("effective_date", flat=True))
    for revision in planned(engagement, through=as_of):
        if revision.effective_date in known:
            continue
        try:
            with transaction.atomic():
                made = Revision.objects.create(
                    engagement=engagement,
                    effective_date=revision.effective_date,
                    factor=revision.factor,
                    percent=revision.percent,
                    base_index=revision.base_index,
                    new_index=revision.new_index,
                )
        except IntegrityError:
            continue  # recorded by a run at the same time
        audit.record(
            "engagement.revised",
            engagement,
            by=by,
            firm_id=engagement.firm_id,
            at=clock.now(now),
            details={"date": made.effective_date, "percent": made.percent, "factor": made.factor},
        )


def _bill(engagement: Engagement, *, as_of, by, now, result: RunResult) -> None:
    by_day: dict[datetime.date, list[DuePeriod]] = defaultdict(list)
    for due in due_periods(engagement, as_of=as_of):
        by_day[due.period.bill_date].append(due)
    for day in sorted(by_day):
        try:
            with transaction.atomic():
                invoice = _draft(engagement, by_day[day], as_of=as_of, by=by, now=now)
        except IntegrityError:
            result.skipped += len(by_day[day])
            continue
        result.invoices.append(invoice)
        result.periods += len(by_day[day])


def _draft(engagement: Engagement, periods: list[DuePeriod], *, as_of, by, now):
    language = engagement.client.language
    revisions = list(
        engagement.revisions.filter(
            announced_on__isnull=True, effective_date__lte=max(p.period.start for p in periods)
        )
    )
    notes = [texts.version_line(engagement.reference, engagement.version, language)]
    notes += [texts.revision_line(r.percent, r.effective_date, language) for r in revisions]
    lines = [
        {
            "description": texts.period_line(due.mission.name, due.period, language),
            "quantity": "1",
            "unit_price": str(due.amount),
            "vat_rate": str(due.mission.vat_rate),
        }
        for due in periods
    ]
    fields = {"issue_date": as_of, "notes": "\n".join(notes)}
    if engagement.payment_terms_days is not None:
        fields["payment_terms_days"] = engagement.payment_terms_days
    invoice = invoicing_actions.create_draft(
        by=by, client=engagement.client, lines=lines, now=now, **fields
    )
    BilledPeriod.objects.bulk_create(
        [
            BilledPeriod(
                mission=due.mission,
                period_start=due.period.start,
                period_end=due.period.end,
                amount=due.amount,
                version=engagement.version,
                invoice=invoice,
                billed_at=clock.now(now),
            )
            for due in periods
        ]
    )
    Revision.objects.filter(pk__in=[r.pk for r in revisions]).update(announced_on=invoice)
    audit.record(
        "engagement.billed",
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        at=clock.now(now),
        details={
            "invoice": invoice.pk,
            "version": engagement.version,
            "periods": [f"{d.mission.name} {d.period.start}" for d in periods],
        },
    )
    return invoice
