"""10. The WIP tab's figures over 1,000,000 time entries (200 staff, 2,000 clients):
`work.selectors.wip_by_client` (what the WIP tab runs) against its own SQL run bare on
the cursor, interleaved; and a draft from 5,000 entries with a pro-rata write-down.

    python -m bench.wip [--db sqlite|postgres] [--quick]
"""

import argparse
import datetime
import random
import time
from decimal import Decimal

from bench.common import (
    OUT,
    bench_firm,
    figure,
    interleave,
    machine,
    median_ms,
    percentile_ms,
    setup_django,
)
from bench.invoice_list import PG_URL, ensure_pg_database


def populate(entries: int, staff_count: int, clients: int):
    from django.contrib.auth.models import Permission

    from facturier.firms.models import User
    from facturier.work.models import Entry, StaffRate, WorkCode

    rng = random.Random(16)
    firm, user, client_ids = bench_firm(clients)
    for codename in ("process_all_entries", "manage_templates"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    User.objects.bulk_create(
        [User(username=f"staff{i:03d}", firm=firm) for i in range(staff_count - 1)]
    )
    staff_ids = list(User.objects.filter(firm=firm).values_list("pk", flat=True))
    codes = WorkCode.objects.bulk_create(
        [WorkCode(firm=firm, code=f"C{i:02d}", name=f"Code {i}") for i in range(20)]
    )
    today = datetime.date.today()
    StaffRate.objects.bulk_create(
        [
            StaffRate(firm=firm, staff_id=pk, rate=100, effective_from=today.replace(year=2020))
            for pk in staff_ids
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    batch = []
    for i in range(entries):
        hours = Decimal(rng.randint(1, 16)) / 4
        batch.append(
            Entry(
                firm=firm,
                staff_id=staff_ids[i % len(staff_ids)],
                client_id=client_ids[rng.randrange(len(client_ids))],
                work_code=codes[i % len(codes)],
                kind="time",
                day=today - datetime.timedelta(days=rng.randint(0, 400)),
                hours=hours,
                rate=100,
                amount=hours * 100,
                # Most of a year's work is billed already; what is left is WIP.
                state="billed" if rng.random() < 0.8 else "unbilled",
                created_at=now,
            )
        )
        if len(batch) == 20_000:
            Entry.objects.bulk_create(batch)
            batch = []
    Entry.objects.bulk_create(batch)
    # Written around the actions, as a migration would: the WIP months from the entries.
    from facturier.work import wip_totals

    wip_totals.rebuild(firm.pk)
    fresh = User.objects.get(pk=user.pk)
    # What the worker's periodic pass does once a day: age the WIP as of today.
    from facturier.work.actions import refresh_wip_today

    started = time.perf_counter()
    refresh_wip_today(firm.pk)
    print(f"WIP aged as of today (the worker's daily pass): {time.perf_counter() - started:.2f} s")
    return fresh, client_ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.db == "postgres":
        ensure_pg_database()
    setup_django(PG_URL if args.db == "postgres" else f"sqlite:///{OUT / 'wip.sqlite3'}")
    from django.db import connection

    from bench.common import migrate_fresh
    from facturier.clients.models import Client
    from facturier.invoicing import actions as invoicing
    from facturier.work.models import Entry
    from facturier.work.selectors import wip_by_client, wip_entries

    migrate_fresh()
    count = 100_000 if args.quick else 1_000_000
    started = time.perf_counter()
    user, client_ids = populate(count, 200, 2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"{count} entries written in {time.perf_counter() - started:.0f} s")
    today = datetime.date.today()
    # The baseline, as the issue states it: the raw SQL aggregate of the entries (the
    # same groups and sums, run bare on the cursor) — what the tab costs without the
    # rows the worker ages each day.
    from facturier.work.selectors import WipFilters, wip_query

    statements = [wip_query(user=user, today=today).query.sql_with_params()]

    def with_selector(_call):
        return wip_by_client(user=user, today=today)

    def with_sql(_call):
        rows = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                rows.extend(cursor.fetchall())
        return rows

    rows = with_selector(0)
    assert rows and with_sql(0)
    # The same figures as summing every entry (a filter that keeps them all).
    every = wip_by_client(
        user=user, today=today, filters=WipFilters(start=datetime.date(2000, 1, 1))
    )
    assert [(r.client_id, r.total, r.buckets) for r in rows] == [
        (r.client_id, r.total, r.buckets) for r in every
    ]
    times = interleave({"wip_by_client()": with_selector, "raw SQL": with_sql}, rounds=9)
    p95 = percentile_ms(times["wip_by_client()"], 0.95)
    ratio = median_ms(times["wip_by_client()"]) / median_ms(times["raw SQL"])
    print(
        f"\nWIP tab, {count} entries, {args.db}: wip_by_client() median "
        f"{median_ms(times['wip_by_client()']):.0f} ms (p95 {p95:.0f}), raw SQL median "
        f"{median_ms(times['raw SQL']):.0f} ms, {len(rows)} clients"
    )
    figure(f"wip {args.db}: WIP tab p95", p95, 100, unit=" ms", higher_is_better=False)
    figure(f"wip {args.db}: wip_by_client() / raw SQL", ratio, 3, higher_is_better=False)

    # A draft from 5,000 entries of one client, written down pro rata.
    client_id = client_ids[0]
    extra = list(Entry.objects.filter(client_id=client_id)[:1])[0]
    Entry.objects.bulk_create(
        [
            Entry(
                firm_id=user.firm_id,
                staff_id=extra.staff_id,
                client_id=client_id,
                work_code_id=extra.work_code_id,
                kind="time",
                day=today,
                hours=1,
                rate=100,
                amount=100,
                state="unbilled",
                created_at=extra.created_at,
            )
            for _ in range(5000)
        ]
    )
    Client.objects.get(pk=client_id).owners.add(user)
    from facturier.firms.models import User

    user = User.objects.get(pk=user.pk)
    ids = list(
        wip_entries(user=user).filter(client_id=client_id).values_list("pk", flat=True)[:5000]
    )
    value = sum(Entry.objects.filter(pk__in=ids).values_list("amount", flat=True))
    started = time.perf_counter()
    draft = invoicing.draft_from_wip(
        by=user, client=client_id, entries=ids, amount=str(value * Decimal("0.9")), reason="-10 %"
    )
    elapsed = time.perf_counter() - started
    print(
        f"draft from {len(ids)} entries, pro rata -10 %: {elapsed:.2f} s, total {draft.total_net}"
    )
    figure(
        f"wip {args.db}: draft from 5,000 entries", elapsed, 1, unit=" s", higher_is_better=False
    )
    print(f"\n{machine()}, {args.db}")


if __name__ == "__main__":
    main()
