"""Keeping WipMonth in step with the entries: every change that moves an entry in or out
of work in progress (recorded, imported, changed, deleted, put on a draft, given back,
billed) passes the entries here, in the same transaction.

An entry is in WIP while it is unbilled and billable. Its month row adds or takes its
hours, value and count with one upsert per (client, month, kind); when entries leave,
the month's oldest day is read again from the entries (a few indexed queries)."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection
from django.db.models import Min

from .models import Entry, EntryKind, WipAsOf, WipMonth, WipToday

FIELDS = ("firm_id", "client_id", "day", "kind", "hours", "amount", "rate", "billable", "state")


def in_wip(state: str, billable: bool) -> bool:
    return state == Entry.State.UNBILLED and bool(billable)


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _deltas(rows: Iterable[tuple], sign: int) -> dict[tuple, list]:
    """(firm, client, month, kind) -> [hours, amount, unrated, count, oldest]."""
    totals: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0, None])
    for firm_id, client_id, day, kind, hours, amount, rate in rows:
        total = totals[firm_id, client_id, month_of(day), kind]
        total[0] += sign * Decimal(hours or 0)
        total[1] += sign * Decimal(amount or 0)
        total[2] += sign * int(kind == EntryKind.TIME and rate is None)
        total[3] += sign
        if sign > 0:
            total[4] = day if total[4] is None else min(total[4], day)
    return totals


def _apply(totals: dict[tuple, list]) -> None:
    if not totals:
        return
    ops = connection.ops
    table = ops.quote_name(WipMonth._meta.db_table)
    sql = (
        f"INSERT INTO {table} (firm_id, client_id, month, kind, hours, amount, unrated, "
        "entries, oldest) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (client_id, month, kind) DO UPDATE SET "
        f"hours = {table}.hours + excluded.hours, amount = {table}.amount + excluded.amount, "
        f"unrated = {table}.unrated + excluded.unrated, "
        f"entries = {table}.entries + excluded.entries, "
        f"oldest = CASE WHEN excluded.oldest IS NULL THEN {table}.oldest "
        f"WHEN {table}.oldest IS NULL OR excluded.oldest < {table}.oldest "
        f"THEN excluded.oldest ELSE {table}.oldest END"
    )
    rows = [
        (
            firm_id,
            client_id,
            ops.adapt_datefield_value(month),
            kind,
            ops.adapt_decimalfield_value(hours, 14, 2),
            ops.adapt_decimalfield_value(amount, 14, 2),
            unrated,
            count,
            ops.adapt_datefield_value(oldest),
        )
        for (firm_id, client_id, month, kind), (hours, amount, unrated, count, oldest) in sorted(
            totals.items(), key=lambda item: (item[0][1], item[0][2], item[0][3])
        )
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _refresh_oldest(keys: Iterable[tuple]) -> None:
    """The oldest day of each month row some entries left."""
    for firm_id, client_id, month, kind in keys:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        oldest = Entry.objects.filter(
            firm_id=firm_id,
            state=Entry.State.UNBILLED,
            client_id=client_id,
            billable=True,
            kind=kind,
            day__gte=month,
            day__lt=following,
        ).aggregate(day=Min("day"))["day"]
        WipMonth.objects.filter(client_id=client_id, month=month, kind=kind).update(oldest=oldest)


def entered(rows: Iterable[tuple]) -> None:
    """Entries now in WIP, as (firm, client, day, kind, hours, amount, rate) tuples."""
    rows = list(rows)
    _apply(_deltas(rows, +1))
    _today_deltas(rows, +1)


def left(rows: Iterable[tuple]) -> None:
    """Entries no longer in WIP (the rows as `entered` takes them)."""
    rows = list(rows)
    totals = _deltas(rows, -1)
    _apply(totals)
    _refresh_oldest(totals)
    _today_deltas(rows, -1)


# -- Today's rows ------------------------------------------------------------------------

BUCKET_LIMITS = (30, 60, 90)  # days late at most, per bucket; the last has no limit


def bucket(as_of: datetime.date, day: datetime.date) -> int:
    age = (as_of - day).days
    for index, limit in enumerate(BUCKET_LIMITS):
        if age <= limit:
            return index
    return len(BUCKET_LIMITS)


def _as_of(firm_id: int, *, exclusive: bool) -> datetime.date | None:
    """The firm's snapshot day, its row locked: shared by the deltas (many at once),
    exclusive for a rebuild, so a rebuild never misses nor doubles a delta."""
    table = connection.ops.quote_name(WipAsOf._meta.db_table)
    lock = ""
    if connection.vendor == "postgresql":
        lock = " FOR UPDATE" if exclusive else " FOR SHARE"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT day FROM {table} WHERE firm_id = %s{lock}", [firm_id])
        found = cursor.fetchone()
    if found is None or found[0] is None:
        return None
    value = found[0]
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _today_totals(as_of: datetime.date, rows: Iterable[tuple], sign: int, totals=None):
    """client -> [hours, time value, expenses, unrated, count, oldest, buckets]."""
    if totals is None:
        totals = defaultdict(
            lambda: [Decimal(0), Decimal(0), Decimal(0), 0, 0, None, [Decimal(0)] * 4]
        )
    for _firm, client_id, day, kind, hours, amount, rate in rows:
        total = totals[client_id]
        amount = sign * Decimal(amount or 0)
        if kind == EntryKind.TIME:
            total[0] += sign * Decimal(hours or 0)
            total[1] += amount
            total[3] += sign * int(rate is None)
        else:
            total[2] += amount
        total[4] += sign
        total[6][bucket(as_of, day)] += amount
        if sign > 0:
            total[5] = day if total[5] is None else min(total[5], day)
    return totals


def _today_deltas(rows: list[tuple], sign: int) -> None:
    by_firm: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_firm[row[0]].append(row)
    for firm_id, firm_rows in by_firm.items():
        as_of = _as_of(firm_id, exclusive=False)
        if as_of is None:
            continue
        totals = _today_totals(as_of, firm_rows, sign)
        _upsert_today(firm_id, totals)
        if sign < 0:
            _refresh_today_oldest(firm_id, list(totals))


class Arrivals:
    """Entries entering WIP in a long stream (an import): their sums are gathered as
    they come (as many as clients × months, whatever the rows) and written once."""

    def __init__(self, firm_id: int) -> None:
        self.firm_id = firm_id
        self.as_of = _as_of(firm_id, exclusive=False)
        self.months: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0, None])
        self.today = None

    def add(self, rows: list[tuple]) -> None:
        for key, (hours, amount, unrated, count, oldest) in _deltas(rows, +1).items():
            total = self.months[key]
            total[0] += hours
            total[1] += amount
            total[2] += unrated
            total[3] += count
            total[4] = oldest if total[4] is None else min(total[4], oldest)
        if self.as_of is not None:
            self.today = _today_totals(self.as_of, rows, +1, self.today)

    def write(self) -> None:
        _apply(dict(self.months))
        if self.today:
            _upsert_today(self.firm_id, self.today)


def _upsert_today(firm_id: int, totals: dict[int, list]) -> None:
    ops = connection.ops
    table = ops.quote_name(WipToday._meta.db_table)
    add = ", ".join(
        f"{name} = {table}.{name} + excluded.{name}"
        for name in (
            "hours",
            "time_value",
            "expenses",
            "unrated",
            "entries",
            "b0",
            "b1",
            "b2",
            "b3",
        )
    )
    sql = (
        f"INSERT INTO {table} (firm_id, client_id, hours, time_value, expenses, unrated, "
        "entries, oldest, b0, b1, b2, b3) VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (client_id) DO UPDATE SET {add}, "
        f"oldest = CASE WHEN excluded.oldest IS NULL THEN {table}.oldest "
        f"WHEN {table}.oldest IS NULL OR excluded.oldest < {table}.oldest "
        f"THEN excluded.oldest ELSE {table}.oldest END"
    )

    def money(value):
        return ops.adapt_decimalfield_value(value, 14, 2)

    rows = [
        (
            firm_id,
            client_id,
            money(hours),
            money(time_value),
            money(expenses),
            unrated,
            count,
            ops.adapt_datefield_value(oldest),
            *[money(b) for b in buckets],
        )
        for client_id, (hours, time_value, expenses, unrated, count, oldest, buckets) in sorted(
            totals.items()
        )
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _refresh_today_oldest(firm_id: int, client_ids: list[int]) -> None:
    oldest = dict(
        Entry.objects.filter(
            firm_id=firm_id, state=Entry.State.UNBILLED, billable=True, client_id__in=client_ids
        )
        .values("client_id")
        .annotate(day=Min("day"))
        .values_list("client_id", "day")
        .order_by()
    )
    for client_id in client_ids:
        WipToday.objects.filter(client_id=client_id).update(oldest=oldest.get(client_id))


def refresh_today(firm_id: int, day: datetime.date) -> int:
    """Build the firm's WipToday rows again, aged as of `day` (the caller's transaction).
    Returns how many clients have work in progress."""
    from django.db.models import Count, Q, Sum

    WipAsOf.objects.get_or_create(firm_id=firm_id)
    _as_of(firm_id, exclusive=True)
    WipToday.objects.filter(firm_id=firm_id).delete()
    sums = {
        "hours": Sum("hours", filter=Q(kind=EntryKind.TIME)),
        "time_value": Sum("amount", filter=Q(kind=EntryKind.TIME)),
        "expenses": Sum("amount", filter=Q(kind=EntryKind.EXPENSE)),
        "unrated": Count("pk", filter=Q(kind=EntryKind.TIME, rate__isnull=True)),
        "entries": Count("pk"),
        "oldest": Min("day"),
    }
    previous = None  # the limit of the bucket before: older than it, this one
    for index, limit in enumerate((*BUCKET_LIMITS, None)):
        window = Q(day__gte=day - datetime.timedelta(days=limit)) if limit is not None else Q()
        if previous is not None:
            window &= Q(day__lt=day - datetime.timedelta(days=previous))
        previous = limit
        sums[f"b{index}"] = Sum("amount", filter=window)
    rows = (
        Entry.objects.filter(firm_id=firm_id, state=Entry.State.UNBILLED, billable=True)
        .order_by()
        .values("client_id")
        .annotate(**sums)
    )
    zero = Decimal(0)
    WipToday.objects.bulk_create(
        [
            WipToday(
                firm_id=firm_id,
                client_id=row["client_id"],
                hours=row["hours"] or zero,
                time_value=row["time_value"] or zero,
                expenses=row["expenses"] or zero,
                unrated=row["unrated"],
                entries=row["entries"],
                oldest=row["oldest"],
                b0=row["b0"] or zero,
                b1=row["b1"] or zero,
                b2=row["b2"] or zero,
                b3=row["b3"] or zero,
            )
            for row in rows
        ],
        batch_size=2000,
    )
    WipAsOf.objects.filter(firm_id=firm_id).update(day=day)
    return WipToday.objects.filter(firm_id=firm_id).count()


def row_of(entry: Entry) -> tuple:
    return (
        entry.firm_id,
        entry.client_id,
        entry.day,
        entry.kind,
        entry.hours,
        entry.amount,
        entry.rate,
    )


def entries_entered(entries: Iterable[Entry]) -> None:
    entered(row_of(e) for e in entries if in_wip(e.state, e.billable))


def entries_left(entries: Iterable[Entry]) -> None:
    left(row_of(e) for e in entries if in_wip(e.state, e.billable))


def rebuild(firm_id: int | None = None) -> None:
    """Every month row again from the entries (a migration, a repair)."""
    rows = WipMonth.objects.all()
    entries = Entry.objects.filter(state=Entry.State.UNBILLED, billable=True)
    if firm_id is not None:
        rows, entries = rows.filter(firm_id=firm_id), entries.filter(firm_id=firm_id)
    rows.delete()
    entered(
        entries.values_list(
            "firm_id", "client_id", "day", "kind", "hours", "amount", "rate"
        ).iterator(chunk_size=5000)
    )


def on_clients_merging(event) -> None:
    """A client folded into another (clients.ClientsMerging): its entries move to the kept
    client, and the WIP totals with them."""
    entries = Entry.objects.filter(client_id=event.merged_id)
    in_wip = list(
        entries.filter(state=Entry.State.UNBILLED, billable=True).values_list(
            "firm_id", "client_id", "day", "kind", "hours", "amount", "rate"
        )
    )
    left(in_wip)
    entries.update(client_id=event.kept_id)
    entered([(row[0], event.kept_id, *row[2:]) for row in in_wip])
