"""The read side of work: work in progress per client with its age, a client's
entries, the firm's codes and rates."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q, QuerySet, Sum

from facturier.clients.permissions import visible_clients
from facturier.core.reading import sort_key

from .models import Entry, EntryKind, StaffRate, WorkCode
from .permissions import visible_entries

# WIP aging: how old the unbilled work is, by the entry's date.
WIP_BUCKETS = [("0–30", 0, 30), ("31–60", 31, 60), ("61–90", 61, 90), ("> 90", 91, None)]


@dataclass
class WipFilters:
    staff_id: int | None = None
    work_code_id: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None


@dataclass
class WipRow:
    client_id: int
    client: str
    hours: Decimal
    time_value: Decimal
    expenses: Decimal
    oldest: datetime.date | None
    unrated: int
    buckets: list[Decimal] = field(default_factory=lambda: [Decimal(0)] * len(WIP_BUCKETS))

    @property
    def total(self) -> Decimal:
        return self.time_value + self.expenses


def wip_entries(*, user, filters: WipFilters | None = None) -> QuerySet[Entry]:
    """The unbilled billable entries on the clients the user sees (as invoices)."""
    entries = Entry.objects.filter(
        firm_id=user.firm_id,
        state=Entry.State.UNBILLED,
        billable=True,
        client__in=visible_clients(user),
    )
    filters = filters or WipFilters()
    if filters.staff_id:
        entries = entries.filter(staff_id=filters.staff_id)
    if filters.work_code_id:
        entries = entries.filter(work_code_id=filters.work_code_id)
    if filters.start:
        entries = entries.filter(day__gte=filters.start)
    if filters.end:
        entries = entries.filter(day__lte=filters.end)
    return entries


def wip_query(*, user, today: datetime.date, filters: WipFilters | None = None):
    """The grouped query behind the WIP tab: one row per client."""
    aggregates = {
        "hours": Sum("hours", filter=Q(kind=EntryKind.TIME)),
        "time_value": Sum("amount", filter=Q(kind=EntryKind.TIME)),
        "expenses": Sum("amount", filter=Q(kind=EntryKind.EXPENSE)),
        "oldest": Min("day"),
        "unrated": Count("pk", filter=Q(kind=EntryKind.TIME, rate__isnull=True)),
    }
    for index, (_label, first, last) in enumerate(WIP_BUCKETS):
        window = Q(day__lte=today - datetime.timedelta(days=first))
        if last is not None:
            window &= Q(day__gte=today - datetime.timedelta(days=last))
        aggregates[f"b{index}"] = Sum("amount", filter=window)
    return (
        wip_entries(user=user, filters=filters)
        .order_by()
        .values("client_id")
        .annotate(**aggregates)
    )


def wip_by_client(*, user, today: datetime.date, filters: WipFilters | None = None) -> list[WipRow]:
    """Per client: unbilled hours, their value, expenses, the oldest entry, entries
    without a rate, and the value by age.

    Unfiltered (the tab as it opens): the firm's WipToday rows when they are aged as of
    today (the worker builds them each day; every change moves them); else the entries
    of the last three months or so are summed one by one and the months before them
    come from WipMonth (all of them over 90 days old). With a filter (a staff member, a
    work code, dates), every entry is."""
    if not user.firm_id:
        return []
    filters = filters or WipFilters()
    unfiltered = not (filters.staff_id or filters.work_code_id or filters.start or filters.end)
    if unfiltered and _today_is_kept(user.firm_id, today):
        return _from_today(user)
    boundary = (today - datetime.timedelta(days=91)).replace(day=1)
    recent = WipFilters(start=boundary) if unfiltered else filters
    result = _summed_entries(user, today, recent)
    if unfiltered:
        _add_older_months(result, user, boundary)
    names = dict(visible_clients(user).filter(pk__in=list(result)).values_list("pk", "name"))
    rows = []
    for item in result.values():
        if not (item.total or item.hours or item.unrated):
            continue
        item.client = names.get(item.client_id, "")
        rows.append(item)
    return sorted(rows, key=lambda r: (-r.total, sort_key(r.client), r.client))


def _summed_entries(user, today: datetime.date, filters: WipFilters) -> dict[int, WipRow]:
    """Per client, the entries the filters keep, summed one by one and aged."""
    zero = Decimal(0)
    result: dict[int, WipRow] = {}
    for row in wip_query(user=user, today=today, filters=filters):
        item = result[row["client_id"]] = WipRow(
            client_id=row["client_id"],
            client="",
            hours=row["hours"] or zero,
            time_value=row["time_value"] or zero,
            expenses=row["expenses"] or zero,
            oldest=row["oldest"],
            unrated=row["unrated"],
        )
        item.buckets = [row[f"b{i}"] or zero for i in range(len(WIP_BUCKETS))]
        # Entries dated in the future (planned work) count as the youngest bucket.
        item.buckets[0] += item.total - sum(item.buckets, zero)
    return result


def _add_older_months(result: dict[int, WipRow], user, boundary: datetime.date) -> None:
    """Add the WipMonth totals before `boundary`, all in the oldest bucket."""
    zero = Decimal(0)
    for row in older_months(user, boundary):
        item = result.get(row["client_id"])
        if item is None:
            item = result[row["client_id"]] = WipRow(
                row["client_id"], "", zero, zero, zero, None, 0
            )
        item.hours += row["hours"] or zero
        item.time_value += row["time_value"] or zero
        item.expenses += row["expenses"] or zero
        item.unrated += row["unrated"] or 0
        item.buckets[-1] += (row["time_value"] or zero) + (row["expenses"] or zero)
        if row["oldest"] and (item.oldest is None or row["oldest"] < item.oldest):
            item.oldest = row["oldest"]


def _today_is_kept(firm_id: int, today: datetime.date) -> bool:
    from .models import WipAsOf

    return WipAsOf.objects.filter(firm_id=firm_id, day=today).exists()


def _from_today(user) -> list[WipRow]:
    from .models import WipToday

    rows = []
    for row in (
        WipToday.objects.filter(
            firm_id=user.firm_id, client__in=visible_clients(user), entries__gt=0
        )
        .values_list(
            "client_id",
            "client__name",
            "hours",
            "time_value",
            "expenses",
            "oldest",
            "unrated",
            "b0",
            "b1",
            "b2",
            "b3",
        )
        .order_by()
    ):
        client_id, name, hours, time_value, expenses, oldest, unrated, *buckets = row
        rows.append(
            WipRow(client_id, name, hours, time_value, expenses, oldest, unrated, list(buckets))
        )
    return sorted(rows, key=lambda r: (-r.total, sort_key(r.client), r.client))


def older_months(user, boundary: datetime.date):
    from .models import WipMonth

    return (
        WipMonth.objects.filter(
            firm_id=user.firm_id,
            client__in=visible_clients(user),
            month__lt=boundary,
            entries__gt=0,
        )
        .order_by()
        .values("client_id")
        .annotate(
            hours=Sum("hours", filter=Q(kind=EntryKind.TIME)),
            time_value=Sum("amount", filter=Q(kind=EntryKind.TIME)),
            expenses=Sum("amount", filter=Q(kind=EntryKind.EXPENSE)),
            unrated=Sum("unrated"),
            oldest=Min("oldest"),
        )
    )


def client_wip(*, user, client_id: int, filters: WipFilters | None = None) -> QuerySet[Entry]:
    return (
        wip_entries(user=user, filters=filters)
        .filter(client_id=client_id)
        .select_related("staff", "work_code")
        .order_by("day", "pk")
    )


def own_entries(*, user, limit: int = 100) -> QuerySet[Entry]:
    """One's latest entries, each with `has_receipt` (the receipt's bytes stay behind)."""
    return (
        Entry.objects.filter(staff_id=user.pk)
        .select_related("client", "work_code")
        .defer("receipt")
        .annotate(has_receipt=HAS_RECEIPT)
        .order_by("-day", "-pk")[:limit]
    )


HAS_RECEIPT = ExpressionWrapper(Q(receipt__isnull=False), output_field=BooleanField())


def entry_receipt(*, user, pk: int) -> tuple[bytes, str] | None:
    """The receipt of an entry the user sees, with its type; None when there is none."""
    found = (
        visible_entries(user)
        .filter(pk=pk, receipt__isnull=False)
        .values_list("receipt", "receipt_type")
        .first()
    )
    return (bytes(found[0]), found[1]) if found else None


def staff_entries(*, user, start: datetime.date, end: datetime.date) -> QuerySet[Entry]:
    """One's own entries over some days (the week grid)."""
    return (
        Entry.objects.filter(staff_id=user.pk, day__gte=start, day__lte=end)
        .select_related("client", "work_code")
        .order_by("day", "pk")
    )


def work_codes(*, firm_id: int) -> QuerySet[WorkCode]:
    return WorkCode.objects.filter(firm_id=firm_id).order_by("code")


def most_used_billable_code(*, user) -> str:
    """The billable time code the staff member has recorded most entries on, or ""."""
    found = (
        Entry.objects.filter(
            firm_id=user.firm_id,
            staff_id=user.pk,
            kind=EntryKind.TIME,
            work_code__billable=True,
            work_code__kind=EntryKind.TIME,
        )
        .values("work_code__code")
        .annotate(used=Count("pk"))
        .order_by("-used", "work_code__code")
        .first()
    )
    return found["work_code__code"] if found else ""


def staff_rates(*, firm_id: int) -> QuerySet[StaffRate]:
    return StaffRate.objects.filter(firm_id=firm_id).select_related("staff", "work_code")
