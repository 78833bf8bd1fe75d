"""Reads of engagements: the lists a user sees, the periods come due, the preview of the
next invoices (computed by the schedule the run bills with)."""

import dataclasses
import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from facturier.clients.models import Client
from facturier.core import fiscal, money
from facturier.core.fiscal import FiscalYear
from facturier.firms import audit
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice, InvoiceStatus
from facturier.work.models import Entry, EntryKind

from .history import describe
from .letter_models import EngagementLetter, LetterStatus, LetterTemplate
from .models import (
    BilledPeriod,
    Budget,
    BudgetThresholds,
    Engagement,
    IndexValue,
    Instalment,
    Mission,
    PeriodPart,
    Revision,
    RunFailure,
)
from .permissions import engagement_scope, visible_engagements
from .revisions import IndexMissing, planned
from .schedule import Period, Plan, amount, billed_prefix, periods

PREVIEW_COUNT = 12
# The starts of the periods billed, per mission and part (fixed, time).
Billed = dict[tuple[int, str], set[datetime.date]]


@dataclass(frozen=True)
class DuePeriod:
    mission: Mission
    period: Period
    amount: Decimal  # time: what the entries so far are worth, capped (the preview's)
    part: str = PeriodPart.FIXED

    @property
    def is_time(self) -> bool:
        return self.part == PeriodPart.TIME


@dataclass(frozen=True)
class PreviewInvoice:
    bill_date: datetime.date
    periods: list[DuePeriod]
    deposit: Invoice | None = None  # the deposit invoice it deducts (with_deposit)

    @property
    def total(self) -> Decimal:
        return sum((due.amount for due in self.periods), Decimal(0))

    def gross(self, currency: str) -> Decimal:
        """Its total with VAT, as invoicing computes it from the same lines."""
        lines = [(due.amount, due.mission.vat_rate) for due in self.periods]
        return money.compute_totals(lines, currency).gross


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


def related(instance, name: str) -> list:
    """`instance.<name>.all()`: what was prefetched with it read as it is (the run asks for
    each engagement's a few times; .all() would build a queryset each time), else read."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    if name in cache:
        return list(cache[name])
    return list(getattr(instance, name).all())


def with_related(engagements: list[Engagement], *, clients: bool = False) -> None:
    """Read for a batch of engagements what the run asks of each (its missions with their
    instalments, its revisions), three queries in all, kept as prefetch_related keeps
    them but as lists: prefetch_related builds a queryset for each engagement and
    mission, which cost the run more than its reads. The managers then answer .all()
    with those lists, and nothing else (no filter(), no exists()): read them through
    related(). The missions know their engagement; instalments and revisions do not.
    `clients`: also each engagement's client (one object per client) and the failure a
    run kept for it, if any (with its invoice), as select_related would give them."""
    ids = [engagement.pk for engagement in engagements]
    missions: dict[int, list[Mission]] = defaultdict(list)
    found = list(Mission.objects.filter(engagement_id__in=ids))
    instalments: dict[int, list] = defaultdict(list)
    for row in Instalment.objects.filter(mission_id__in=[mission.pk for mission in found]):
        instalments[row.mission_id].append(row)
    for mission in found:
        mission._prefetched_objects_cache = {"instalments": instalments[mission.pk]}
        missions[mission.engagement_id].append(mission)
    revisions: dict[int, list[Revision]] = defaultdict(list)
    for revision in Revision.objects.filter(engagement_id__in=ids):
        revisions[revision.engagement_id].append(revision)
    for engagement in engagements:
        for mission in missions[engagement.pk]:
            Mission.engagement.field.set_cached_value(mission, engagement)
        engagement._prefetched_objects_cache = {
            "missions": missions[engagement.pk],
            "revisions": revisions[engagement.pk],
        }
    if clients:
        _with_clients_and_failures(engagements, ids)


def _with_clients_and_failures(engagements: list[Engagement], ids: list[int]) -> None:
    found = Client.objects.in_bulk({engagement.client_id for engagement in engagements})
    failures = {
        failure.engagement_id: failure
        for failure in RunFailure.objects.filter(engagement_id__in=ids).select_related("invoice")
    }
    for engagement in engagements:
        Engagement.client.field.set_cached_value(engagement, found[engagement.client_id])
        failure = failures.get(engagement.pk)
        Engagement.run_failure.related.set_cached_value(engagement, failure)
        if failure is not None:
            RunFailure.engagement.field.set_cached_value(failure, engagement)


def plan_of(mission: Mission) -> Plan:
    return Plan(
        frequency=mission.frequency,
        timing=mission.timing,
        billing_day=mission.billing_day,
        annual_fee=mission.annual_fee or Decimal(0),
        instalments=[(row.date, row.amount) for row in related(mission, "instalments")],
    )


def time_plan_of(mission: Mission) -> Plan:
    """A mission's time is billed per period of its frequency (monthly for instalments),
    in arrears: on its billing day once the period is over and its time is in."""
    frequency = "monthly" if mission.frequency == "instalments" else mission.frequency
    return Plan(
        frequency=frequency,
        timing="arrears",
        billing_day=mission.billing_day,
        annual_fee=Decimal(0),
    )


def _missions(engagement: Engagement) -> list[Mission]:
    """The engagement's missions with their instalments (read once per engagement)."""
    cache = getattr(engagement, "_prefetched_objects_cache", {})
    if "missions" in cache:
        return list(cache["missions"])
    return list(engagement.missions.prefetch_related("instalments"))


def _parts(engagement: Engagement) -> list[tuple[Mission, str, Plan]]:
    """Each billable part of each mission, with its schedule: the fixed fee, the time."""
    parts = []
    for mission in _missions(engagement):
        if mission.has_fixed_fee and mission.annual_fee is not None:
            parts.append((mission, PeriodPart.FIXED, plan_of(mission)))
        if mission.fee_kind in ("time", "both"):
            parts.append((mission, PeriodPart.TIME, time_plan_of(mission)))
    return parts


def billed_starts(engagement: Engagement) -> Billed:
    """The starts of the periods billed (or skipped), per mission and part."""
    return _billed_starts(BilledPeriod.objects.filter(mission__engagement=engagement))


def billed_starts_of(engagements: list[Engagement]) -> dict[int, Billed]:
    """billed_starts of each of a batch of engagements, by engagement: one query."""
    found: dict[int, Billed] = {engagement.pk: defaultdict(set) for engagement in engagements}
    rows = BilledPeriod.objects.filter(mission__engagement__in=list(found)).values_list(
        "mission__engagement_id", "mission_id", "part", "period_start"
    )
    for engagement_id, mission_id, part, start in rows:
        found[engagement_id][mission_id, part].add(start)
    return found


def _billed_starts(rows) -> Billed:
    starts: Billed = defaultdict(set)
    rows = rows.values_list("mission_id", "part", "period_start")
    for mission_id, part, start in rows:
        starts[mission_id, part].add(start)
    return starts


def _recorded(engagement: Engagement) -> list[tuple[datetime.date, Decimal]]:
    cache = getattr(engagement, "_prefetched_objects_cache", {})
    if "revisions" in cache:
        return [(r.effective_date, r.factor) for r in cache["revisions"]]
    return list(engagement.revisions.values_list("effective_date", "factor"))


def due_periods(
    engagement: Engagement, *, as_of: datetime.date, billed: Billed | None = None
) -> list[DuePeriod]:
    """The unbilled periods whose billing day is on or before `as_of`: fixed fees with
    their amounts, time periods (their amount is the run's to find, from the entries).
    `billed`: the periods billed already, when the caller has read them."""
    return due_and_next(engagement, as_of=as_of, billed=billed)[0]


def due_and_next(
    engagement: Engagement, *, as_of: datetime.date, billed: Billed | None = None
) -> tuple[list[DuePeriod], datetime.date | None]:
    """due_periods, and the day of the next invoice once they are billed (next_bill_date's
    then): the run reads both of each engagement, from one walk of each schedule (each
    schedule's billing days follow its periods' order)."""
    parts = _parts(engagement)
    if billed is None:
        billed = billed_starts(engagement)
    revisions = _recorded(engagement)
    currency = engagement.client.currency
    due, following = [], []
    start, end = engagement.start_date, engagement.end_date
    for mission, part, plan in parts:
        done = billed[mission.pk, part]
        first = billed_prefix(plan, start=start, end=end, billed=done)
        for period in periods(plan, start=start, end=end, first=first):
            if period.start in done:
                continue
            if period.bill_date > as_of:
                following.append(period.bill_date)
                break
            fee = amount(period, revisions, currency) if part == "fixed" else Decimal(0)
            due.append(DuePeriod(mission, period, fee, part))
    return due, min(following, default=None)


def _unbilled(
    engagement: Engagement, *, count: int, billed: Billed | None
) -> list[tuple[Mission, str, Period]]:
    """The first `count` unbilled periods of each part of each mission."""
    if billed is None:
        billed = billed_starts(engagement)
    found: list[tuple[Mission, str, Period]] = []
    start, end = engagement.start_date, engagement.end_date
    for mission, part, plan in _parts(engagement):
        done = billed[mission.pk, part]
        first = billed_prefix(plan, start=start, end=end, billed=done)
        schedule = periods(plan, start=start, end=end, first=first)
        unbilled = (p for p in schedule if p.start not in done)
        found += [(mission, part, period) for period in itertools.islice(unbilled, count)]
    return found


def next_bill_date(engagement: Engagement, *, billed: Billed | None = None) -> datetime.date | None:
    """The day of the next invoice the run will make: that of preview(count=1), without
    its amounts (the run asks it of every engagement it bills)."""
    return min(
        (period.bill_date for _, _, period in _unbilled(engagement, count=1, billed=billed)),
        default=None,
    )


def preview(
    engagement: Engagement, *, count: int = PREVIEW_COUNT, billed: Billed | None = None
) -> tuple[list[PreviewInvoice], bool]:
    """The next `count` invoices the run will make (unbilled periods, late ones first),
    with the revisions known or foreseeable; and whether an index value is missing to
    foresee them all. A time period shows the work to date: its unbilled entries so far,
    capped (what the run would bill if the period ended today)."""
    found = _unbilled(engagement, count=count, billed=billed)
    days = sorted({period.bill_date for _, _, period in found})[:count]
    if not days:
        return [], False
    horizon = max(
        (p.start for _, part, p in found if part == "fixed" and p.bill_date in days), default=None
    )
    revisions, missing = _foreseen(engagement, horizon) if horizon else ([], False)
    currency = engagement.client.currency
    to_date = _time_to_date([(m, p) for m, part, p in found if part == "time"])
    by_day: dict[datetime.date, list[DuePeriod]] = defaultdict(list)
    for mission, part, period in found:
        if period.bill_date in days:
            fee = (
                amount(period, revisions, currency)
                if part == "fixed"
                else to_date.get((mission.pk, period.start), Decimal(0))
            )
            by_day[period.bill_date].append(DuePeriod(mission, period, fee, part))
    return [PreviewInvoice(day, by_day[day]) for day in days], missing


def deposit_received(engagement: Engagement, currency: str, *, lock: bool) -> Invoice | None:
    """The engagement's deposit invoice once received (issued, paid: invoicing's test)
    while no invoice deducts it, in `currency`; locked for the run, read for a preview."""
    if engagement.deposit_invoice_id is None:
        return None
    return next(
        (
            deposit
            for deposit in invoicing.deposits_to_deduct(engagement.client_id, lock=lock)
            if deposit.pk == engagement.deposit_invoice_id and deposit.currency == currency
        ),
        None,
    )


def deposit_fits(deposit: Invoice, gross: Decimal) -> bool:
    """Whether an invoice of `gross` (with VAT) deducts the deposit: invoicing refuses
    deposits beyond an invoice's total, so a larger one waits for a later invoice."""
    return deposit.total_gross <= gross


def with_deposit(engagement: Engagement, coming: list[PreviewInvoice]) -> list[PreviewInvoice]:
    """The preview with the deposit received on the first invoice it fits, as the run
    deducts it (a deposit not paid yet shows on none)."""
    currency = engagement.client.currency
    deposit = deposit_received(engagement, currency, lock=False) if coming else None
    if deposit is None:
        return coming
    for index, invoice in enumerate(coming):
        if deposit_fits(deposit, invoice.gross(currency)):
            with_it = dataclasses.replace(invoice, deposit=deposit)
            return [*coming[:index], with_it, *coming[index + 1 :]]
    return coming


def _time_to_date(
    found: list[tuple[Mission, Period]],
) -> dict[tuple[int, datetime.date], Decimal]:
    """Each time period's unbilled work so far, capped: one query for them all."""
    if not found:
        return {}
    first = min(period.start for _, period in found)
    last = max(period.end for _, period in found)
    rows = list(
        Entry.objects.filter(
            mission_link__mission__in={mission.pk for mission, _ in found},
            day__range=(first, last),
            state=Entry.State.UNBILLED,
            billable=True,
        ).values_list("mission_link__mission_id", "day", "amount")
    )
    sums: dict[tuple[int, datetime.date], Decimal] = defaultdict(Decimal)
    for mission, period in found:
        for mission_id, day, value in rows:
            if mission_id == mission.pk and period.start <= day <= period.end:
                sums[mission.pk, period.start] += value
    caps = {mission.pk: mission.time_cap for mission, _ in found}
    return {
        key: value if caps[key[0]] is None else min(value, caps[key[0]])
        for key, value in sums.items()
    }


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


def drafts_past_end(engagement: Engagement) -> list[Invoice]:
    """The drafts billing a period that ends after the engagement's end date: billed
    before the end was known, they stay billed (as finalized ones do) until a person
    deletes them; the schedule then bills what is still due, the last period prorated."""
    if engagement.end_date is None:
        return []
    periods = BilledPeriod.objects.filter(
        mission__engagement=engagement,
        period_end__gt=engagement.end_date,
        invoice__status=InvoiceStatus.DRAFT,
    )
    return list(Invoice.objects.filter(pk__in=periods.values("invoice_id")).order_by("pk"))


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
# What the page (and the API's overview) shows of each row made and of each failure:
# the rows' own columns, their related rows' few (not an invoice's snapshot).
MADE_COLUMNS = (
    *(f.attname for f in BilledPeriod._meta.concrete_fields),
    "mission__name",
    "mission__engagement_id",
    "mission__engagement__reference",
    "mission__engagement__client_id",
    "mission__engagement__client__name",
    "mission__engagement__client__currency",
    "invoice__number",
)
COMING_COLUMNS = ("reference", "client_id", "next_bill_date", "billing_mode", "client__name")
FAILURE_COLUMNS = (
    *(f.attname for f in RunFailure._meta.concrete_fields),
    "engagement__reference",
    "engagement__client_id",
    "engagement__client__name",
    "invoice__number",
)


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
    # The day's periods found from their billed_at index, the user's scope tested on
    # each (not found by walking the firm's engagements: thousands, most not billed
    # that day); the columns the page shows, not the invoices' snapshots.
    made = (
        BilledPeriod.objects.filter(
            engagement_scope(user, "mission__engagement__", firm_indexed=False),
            billed_at__gte=start,
            billed_at__lt=start + datetime.timedelta(days=1),
        )
        .select_related("mission__engagement__client", "invoice")
        .only(*MADE_COLUMNS)
        .order_by("-billed_at", "mission__engagement__reference", "period_start")
    )
    failures = (
        RunFailure.objects.filter(engagement_scope(user, "engagement__"))
        .select_related("engagement__client", "invoice")
        .only(*FAILURE_COLUMNS)
        .order_by("failed_at", "engagement__reference")
    )
    coming = (
        visible_engagements(user)
        .filter(next_bill_date__isnull=False)
        .select_related("client")
        .only(*COMING_COLUMNS)
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
        row.summary = describe(row.action, row.details, engagement.client.currency)
    return rows[::-1]


def letter_templates(*, firm_id: int | None) -> QuerySet[LetterTemplate]:
    return LetterTemplate.objects.filter(firm_id=firm_id).order_by("name", "id")


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
            mission__in=missions,
            part=PeriodPart.FIXED,  # time is counted by its entries, as billed
            period_start__gte=year.start,
            period_start__lte=year.end,
            invoice__isnull=False,  # a period skipped while paused was not billed
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
        .order_by("engagement__client__sort_name", "engagement__reference", "position")
    )
    return [
        (m.pk, f"{m.engagement.client.name} – {m.name} ({m.engagement.reference})")
        for m in missions
    ]


def billed_by_hand(mission: Mission, start: datetime.date, end: datetime.date) -> Decimal:
    """What invoices already charge for the mission's entries of a period (billed from
    the WIP tab before the run came): the period's cap counts it."""
    from facturier.invoicing.models import InvoiceEntry

    total = InvoiceEntry.objects.filter(
        entry__mission_link__mission=mission, entry__day__range=(start, end), released=False
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def billed_in_open_periods(
    mission: Mission, *, today: datetime.date
) -> tuple[Decimal, Period | None]:
    """The most billed (by hand, from WIP) of the mission's time periods the run has not
    billed yet, up to the one in progress `today`, and that period: a cap below it would
    be exceeded already."""
    engagement = mission.engagement
    billed = _billed_starts(BilledPeriod.objects.filter(mission=mission))[mission.pk, "time"]
    schedule = periods(time_plan_of(mission), start=engagement.start_date, end=engagement.end_date)
    open_periods = [
        p
        for p in itertools.takewhile(lambda p: p.start <= today, schedule)
        if p.start not in billed
    ]
    if not open_periods:
        return Decimal(0), None
    from facturier.invoicing.models import InvoiceEntry

    rows = InvoiceEntry.objects.filter(
        entry__mission_link__mission=mission,
        entry__day__gte=open_periods[0].start,
        released=False,
    ).values_list("entry__day", "amount")
    sums: dict[Period, Decimal] = defaultdict(Decimal)
    for day, value in rows:
        for period in open_periods:
            if period.start <= day <= period.end:
                sums[period] += value
    if not sums:
        return Decimal(0), None
    period = max(sums, key=lambda p: sums[p])
    return sums[period], period
