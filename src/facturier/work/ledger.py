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

from .models import Entry, Kind, WipMonth

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
        total[2] += sign * int(kind == Kind.TIME and rate is None)
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
    _apply(_deltas(rows, +1))


def left(rows: Iterable[tuple]) -> None:
    """Entries no longer in WIP (the rows as `entered` takes them)."""
    totals = _deltas(rows, -1)
    _apply(totals)
    _refresh_oldest(totals)


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
