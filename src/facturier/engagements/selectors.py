"""Reads of engagements: the lists a user sees, the periods come due, the preview of the
next invoices (computed by the schedule the run bills with)."""

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from facturier.core import fiscal
from facturier.core.fiscal import FiscalYear
from facturier.invoicing.models import InvoiceStatus
from facturier.work.models import Entry, EntryKind

from .models import (
    BilledPeriod,
    Budget,
    BudgetThresholds,
    Engagement,
    IndexValue,
    Mission,
)
from .permissions import visible_engagements
from .revisions import IndexMissing, planned
from .schedule import Period, Plan, amount, periods

PREVIEW_COUNT = 12


@dataclass(frozen=True)
class DuePeriod:
    mission: Mission
    period: Period
    amount: Decimal


@dataclass(frozen=True)
class PreviewInvoice:
    bill_date: datetime.date
    periods: list[DuePeriod]

    @property
    def total(self) -> Decimal:
        return sum((due.amount for due in self.periods), Decimal(0))


def engagement_list(*, user, status: str = "") -> QuerySet[Engagement]:
    engagements = visible_engagements(user).select_related("client", "responsible")
    today = timezone.localdate()
    if status == "active":
        engagements = engagements.exclude(end_date__lt=today)
    elif status == "ended":
        engagements = engagements.filter(end_date__lt=today)
    return engagements.annotate(mission_count=Count("missions")).order_by("reference")


def plan_of(mission: Mission) -> Plan:
    return Plan(
        frequency=mission.frequency,
        timing=mission.timing,
        billing_day=mission.billing_day,
        annual_fee=mission.annual_fee or Decimal(0),
        instalments=[(row.date, row.amount) for row in mission.instalments.all()],
    )


def _fixed_missions(engagement: Engagement) -> list[Mission]:
    return [
        mission
        for mission in engagement.missions.prefetch_related("instalments")
        if mission.has_fixed_fee and mission.annual_fee is not None
    ]


def _billed_starts(missions: list[Mission]) -> dict[int, set[datetime.date]]:
    starts: dict[int, set[datetime.date]] = defaultdict(set)
    rows = BilledPeriod.objects.filter(mission__in=missions).values_list(
        "mission_id", "period_start"
    )
    for mission_id, start in rows:
        starts[mission_id].add(start)
    return starts


def _recorded(engagement: Engagement) -> list[tuple[datetime.date, Decimal]]:
    return list(engagement.revisions.values_list("effective_date", "factor"))


def due_periods(engagement: Engagement, *, as_of: datetime.date) -> list[DuePeriod]:
    """The unbilled periods whose billing day is on or before `as_of`."""
    missions = _fixed_missions(engagement)
    billed = _billed_starts(missions)
    revisions = _recorded(engagement)
    currency = engagement.client.currency
    due = []
    for mission in missions:
        schedule = periods(plan_of(mission), start=engagement.start_date, end=engagement.end_date)
        for period in itertools.takewhile(lambda p: p.bill_date <= as_of, schedule):
            if period.start not in billed[mission.pk]:
                due.append(DuePeriod(mission, period, amount(period, revisions, currency)))
    return due


def preview(
    engagement: Engagement, *, count: int = PREVIEW_COUNT
) -> tuple[list[PreviewInvoice], bool]:
    """The next `count` invoices the run will make (unbilled periods, late ones first),
    with the revisions known or foreseeable; and whether an index value is missing to
    foresee them all."""
    missions = _fixed_missions(engagement)
    billed = _billed_starts(missions)
    found: list[tuple[Mission, Period]] = []
    for mission in missions:
        schedule = periods(plan_of(mission), start=engagement.start_date, end=engagement.end_date)
        unbilled = (p for p in schedule if p.start not in billed[mission.pk])
        found += [(mission, period) for period in itertools.islice(unbilled, count)]
    days = sorted({period.bill_date for _, period in found})[:count]
    if not days:
        return [], False
    horizon = max(period.start for _, period in found if period.bill_date in days)
    revisions, missing = _foreseen(engagement, horizon)
    currency = engagement.client.currency
    by_day: dict[datetime.date, list[DuePeriod]] = defaultdict(list)
    for mission, period in found:
        if period.bill_date in days:
            by_day[period.bill_date].append(
                DuePeriod(mission, period, amount(period, revisions, currency))
            )
    return [PreviewInvoice(day, by_day[day]) for day in days], missing


def _foreseen(engagement: Engagement, horizon: datetime.date):
    recorded = _recorded(engagement)
    try:
        coming = planned(engagement, through=horizon)
    except IndexMissing:
        return recorded, True
    known = {date for date, _ in recorded}
    return recorded + [
        (r.effective_date, r.factor) for r in coming if r.effective_date not in known
    ], False


def billed_periods(engagement: Engagement) -> QuerySet[BilledPeriod]:
    return (
        BilledPeriod.objects.filter(mission__engagement=engagement)
        .select_related("mission", "invoice")
        .order_by("-period_start", "mission__position")
    )


def index_values(*, firm_id: int) -> QuerySet[IndexValue]:
    return IndexValue.objects.filter(firm_id=firm_id).order_by("name", "-date")


# Budgets against actuals -------------------------------------------------------------

ZERO = Decimal(0)


@dataclass(frozen=True)
class BudgetLine:
    """A mission's fiscal year: its budget (if any) and what was done and billed.

    Standard value: the entries' value at the rates in force on their days; WIP: the
    billable part no invoice has billed yet; billed: the fixed fees' periods of the year
    on finalized invoices plus what invoices charged for the entries."""

    mission: Mission
    year: FiscalYear
    budget: Budget | None
    hours: Decimal = ZERO
    standard: Decimal = ZERO
    wip: Decimal = ZERO
    billed_periods: Decimal = ZERO
    billed_entries: Decimal = ZERO

    @property
    def billed(self) -> Decimal:
        return self.billed_periods + self.billed_entries

    @property
    def realization(self) -> Decimal | None:
        """Billed ÷ standard value, in percent."""
        return _percent(self.billed, self.standard)

    @property
    def hours_percent(self) -> Decimal | None:
        return _percent(self.hours, self.budget.hours) if self.budget else None

    @property
    def value_percent(self) -> Decimal | None:
        return _percent(self.standard, self.budget.fees) if self.budget else None

    @property
    def margin(self) -> Decimal | None:
        """The budgeted fees less the standard value used (negative: over budget)."""
        return self.budget.fees - self.standard if self.budget else None

    @property
    def hours_left(self) -> Decimal | None:
        return self.budget.hours - self.hours if self.budget else None


def _percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


def budget_year(firm_id: int, year: int | None = None) -> FiscalYear:
    """The firm's fiscal year `year` (else the one today is in); the calendar year when
    the firm has set none (FiscalYear.set_by_firm says so)."""
    if year is None:
        return fiscal.year_of(firm_id, timezone.localdate())
    return fiscal.fiscal_year(firm_id, year)


def _entry_sums(missions: list[Mission], year: FiscalYear) -> dict[int, dict]:
    unbilled = ~Q(state=Entry.State.BILLED) & Q(billable=True)
    rows = (
        Entry.objects.filter(
            mission_link__mission__in=missions,
            kind=EntryKind.TIME,
            day__gte=year.start,
            day__lte=year.end,
        )
        .values("mission_link__mission")
        .annotate(
            hours=Sum("hours"),
            standard=Sum("amount"),
            wip=Sum("amount", filter=unbilled),
            billed=Sum("billed_amount", filter=Q(state=Entry.State.BILLED)),
        )
    )
    return {row.pop("mission_link__mission"): row for row in rows}


def _period_sums(missions: list[Mission], year: FiscalYear) -> dict[int, Decimal]:
    rows = (
        BilledPeriod.objects.filter(
            mission__in=missions, period_start__gte=year.start, period_start__lte=year.end
        )
        .exclude(invoice__status=InvoiceStatus.DRAFT)
        .values("mission")
        .annotate(total=Sum("amount"))
    )
    return {row["mission"]: row["total"] for row in rows}


def budget_lines(missions: list[Mission], year: FiscalYear) -> list[BudgetLine]:
    """Each mission's budget and actuals for the year, in the missions' order."""
    budgets = {b.mission_id: b for b in Budget.objects.filter(mission__in=missions, year=year.year)}
    entries = _entry_sums(missions, year)
    periods = _period_sums(missions, year)
    lines = []
    for mission in missions:
        sums = entries.get(mission.pk, {})
        lines.append(
            BudgetLine(
                mission=mission,
                year=year,
                budget=budgets.get(mission.pk),
                hours=sums.get("hours") or ZERO,
                standard=sums.get("standard") or ZERO,
                wip=sums.get("wip") or ZERO,
                billed_periods=periods.get(mission.pk) or ZERO,
                billed_entries=sums.get("billed") or ZERO,
            )
        )
    return lines


def engagement_budgets(engagement: Engagement, year: FiscalYear) -> list[BudgetLine]:
    return budget_lines(list(engagement.missions.select_related("engagement")), year)


def budget_report(*, user, year: FiscalYear) -> list[BudgetLine]:
    """Every mission the user may see with a budget or time in the year."""
    missions = Mission.objects.filter(engagement__in=visible_engagements(user)).filter(
        Q(budgets__year=year.year)
        | Q(
            entry_links__entry__day__gte=year.start,
            entry_links__entry__day__lte=year.end,
        )
    )
    missions = list(
        missions.distinct()
        .select_related("engagement__client")
        .order_by("engagement__reference", "position", "id")
    )
    return budget_lines(missions, year)


def mission_budgets(engagement: Engagement) -> QuerySet[Budget]:
    return Budget.objects.filter(mission__engagement=engagement).select_related("mission")


def thresholds(firm_id: int) -> BudgetThresholds:
    found = BudgetThresholds.objects.filter(firm_id=firm_id).first()
    return found or BudgetThresholds(firm_id=firm_id)


def mission_choices(*, firm_id: int) -> list[tuple[int, str]]:
    """The missions time may be recorded against (engagements not ended), as
    "Client – Mission (reference)", by client."""
    today = timezone.localdate()
    missions = (
        Mission.objects.filter(engagement__firm_id=firm_id)
        .exclude(engagement__end_date__lt=today)
        .select_related("engagement__client")
        .order_by("engagement__client__name", "engagement__reference", "position")
    )
    return [
        (m.pk, f"{m.engagement.client.name} – {m.name} ({m.engagement.reference})")
        for m in missions
    ]
