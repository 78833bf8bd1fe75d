"""Reads of engagements: the lists a user sees, the periods come due, the preview of the
next invoices (computed by the schedule the run bills with)."""

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone

from facturier.firms import audit
from facturier.firms.models import AuditEvent

from .letter_models import EngagementLetter, LetterStatus, LetterTemplate
from .models import BilledPeriod, Engagement, IndexValue, Mission, RunFailure
from .permissions import engagement_scope, visible_engagements
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


def engagement_list(*, user, status: str = "", letter_status: str = "") -> QuerySet[Engagement]:
    """`letter_status`: the status of the current version's letter; "none": no letter.

    The page's rows come from the (firm, reference) index; their clients and staff are
    read for those rows only."""
    engagements = visible_engagements(user).prefetch_related("client", "responsible")
    today = timezone.localdate()
    if status == "active":
        engagements = engagements.exclude(end_date__lt=today)
    elif status == "ended":
        engagements = engagements.filter(end_date__lt=today)
    current_letter = EngagementLetter.objects.filter(
        engagement=OuterRef("pk"), version=OuterRef("version")
    ).values("status")[:1]
    engagements = engagements.annotate(letter_status=Subquery(current_letter))
    if letter_status == "none":
        engagements = engagements.filter(letter_status__isnull=True)
    elif letter_status in LetterStatus.values:
        engagements = engagements.filter(letter_status=letter_status)
    return engagements.order_by("reference")


def mission_counts(engagements: list[Engagement]) -> dict[int, int]:
    """How many missions each engagement of a page has (counted for the page only)."""
    rows = (
        Mission.objects.filter(engagement__in=engagements)
        .values("engagement_id")
        .annotate(count=Count("id"))
        .values_list("engagement_id", "count")
    )
    return dict(rows)


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


# The billing-run page shows this many of each list (a firm's monthly run may bill
# thousands of periods in a day), and says how many there are in all.
LISTED_COUNT = 100
COMING_COUNT = 20


@dataclass(frozen=True)
class RunOverview:
    made: list[BilledPeriod]  # the periods billed (or skipped) on the day, newest first
    failures: list[RunFailure]  # oldest first
    coming: list[Engagement]  # the engagements billed next, soonest first
    made_count: int = 0
    failure_count: int = 0


def run_overview(*, user, day: datetime.date) -> RunOverview:
    """The billing-run page: what was made on `day`, what failed (until a run bills it),
    and the engagements whose invoices come next."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    made = (
        BilledPeriod.objects.filter(
            engagement_scope(user, "mission__engagement__"),
            billed_at__gte=start,
            billed_at__lt=start + datetime.timedelta(days=1),
        )
        .select_related("mission__engagement__client", "invoice")
        .order_by("-billed_at", "mission__engagement__reference", "period_start")
    )
    failures = (
        RunFailure.objects.filter(engagement_scope(user, "engagement__"))
        .select_related("engagement__client", "invoice")
        .order_by("failed_at", "engagement__reference")
    )
    coming = (
        visible_engagements(user)
        .filter(next_bill_date__isnull=False)
        .prefetch_related("client")
        .order_by("next_bill_date", "reference")[:COMING_COUNT]
    )
    made_rows = list(made[:LISTED_COUNT])
    failure_rows = list(failures[:LISTED_COUNT])
    return RunOverview(
        made_rows,
        failure_rows,
        list(coming),
        made_count=len(made_rows) if len(made_rows) < LISTED_COUNT else made.count(),
        failure_count=(len(failure_rows) if len(failure_rows) < LISTED_COUNT else failures.count()),
    )


def run_failure(engagement: Engagement) -> RunFailure | None:
    return RunFailure.objects.filter(engagement=engagement).select_related("invoice").first()


def letters_of(engagement: Engagement) -> QuerySet[EngagementLetter]:
    """The engagement's letters, the current version's first (without their files)."""
    return (
        EngagementLetter.objects.filter(engagement=engagement)
        .select_related("template")
        .defer("pdf", "signed_pdf")
        .annotate(email_count=Count("emails"))
    )


def visible_letters(user) -> QuerySet[EngagementLetter]:
    """The letters of the engagements the user sees."""
    return EngagementLetter.objects.filter(engagement__in=visible_engagements(user))


def visible_letter(*, user, pk: int | None) -> EngagementLetter | None:
    """A letter of an engagement the user sees (its files read from it)."""
    if pk is None:
        return None
    return visible_letters(user).filter(pk=pk).select_related("engagement").first()


def engagement_history(engagement: Engagement) -> list[AuditEvent]:
    """The engagement's trail, its letter's steps and e-mails included, newest first."""
    rows = list(audit.about("engagements.engagement", engagement.pk).select_related("actor"))
    for row in rows:
        row.label = audit.label(row.action)
    return rows[::-1]


def letter_templates(*, firm_id: int | None) -> QuerySet[LetterTemplate]:
    return LetterTemplate.objects.filter(firm_id=firm_id).order_by("name", "id")
