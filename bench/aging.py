"""8. Receivables aging as of a past day: 100,000 invoices and 300,000 payment
allocations. `receivables.aging.aging` (what the Aging page runs) against its own SQL
run bare on the cursor, interleaved.

    python -m bench.aging [--db sqlite|postgres] [--quick]
"""

import argparse
import datetime
import random
import time

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


def populate(invoices: int, allocations_per_invoice: int):
    from facturier.invoicing.models import Invoice
    from facturier.receivables.models import Allocation, Payment

    rng = random.Random(7)
    firm, user, client_ids = bench_firm(1000)
    start = datetime.date(2023, 1, 1)
    Invoice.objects.bulk_create(
        (
            Invoice(
                firm=firm,
                client_id=client_ids[i % len(client_ids)],
                status="finalized",
                number=f"{i + 1:07d}",
                issue_date=start + datetime.timedelta(days=i * 1000 // invoices),
                due_date=start + datetime.timedelta(days=i * 1000 // invoices + 30),
                payment_terms_days=30,
                currency="EUR",
                total_net=250,
                total_vat=50,
                total_gross=300,
                balance=0,
            )
            for i in range(invoices)
        ),
        batch_size=5000,
    )
    now = datetime.datetime.now(datetime.UTC)
    rows = list(Invoice.objects.order_by("pk").values_list("pk", "client_id", "issue_date"))
    # One payment per client and month would be closer to life; one per allocation keeps
    # the loader simple and the allocation count exact.
    payments, allocations = [], []
    for pk, client_id, issued in rows:
        for _part in range(allocations_per_invoice):
            day = issued + datetime.timedelta(days=rng.randint(5, 120))
            payments.append(
                Payment(
                    firm=firm,
                    client_id=client_id,
                    received_on=day,
                    amount=100,
                    currency="EUR",
                    unallocated=0,
                    recorded_at=now,
                )
            )
            allocations.append((pk, day))
    Payment.objects.bulk_create(payments, batch_size=5000)
    payment_ids = list(Payment.objects.order_by("pk").values_list("pk", flat=True))
    Allocation.objects.bulk_create(
        (
            Allocation(
                firm=firm,
                payment_id=payment_id,
                invoice_id=invoice_id,
                amount=100,
                on=day,
                created_at=now,
            )
            for payment_id, (invoice_id, day) in zip(payment_ids, allocations, strict=True)
        ),
        batch_size=5000,
    )
    return user


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.db == "postgres":
        ensure_pg_database()
    setup_django(PG_URL if args.db == "postgres" else f"sqlite:///{OUT / 'aging.sqlite3'}")
    from django.db import connection

    from bench.common import migrate_fresh
    from facturier.receivables.aging import aging, owed_by_client

    migrate_fresh()
    count = 20_000 if args.quick else 100_000
    started = time.perf_counter()
    user = populate(count, 3)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    elapsed = time.perf_counter() - started
    print(f"{count} invoices, {3 * count} allocations written in {elapsed:.0f} s")

    day = datetime.date(2024, 6, 30)  # a past day: many invoices part paid then
    grouped = owed_by_client(user=user, day=day)
    sql, params = grouped.query.sql_with_params()

    def with_selector(_call):
        return aging(user=user, day=day)

    def with_sql(_call):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    result = with_selector(0)
    assert len(with_sql(0)) > 0 and result.rows, "the past day owes something"
    times = interleave(
        {"aging()": with_selector, "raw SQL": with_sql}, rounds=5 if args.quick else 9
    )
    selector_p95 = percentile_ms(times["aging()"], 0.95) / 1000
    ratio = median_ms(times["aging()"]) / median_ms(times["raw SQL"])
    print(
        f"\nAging as of {day}, {count} invoices, {args.db}: aging() median "
        f"{median_ms(times['aging()']):.0f} ms, raw SQL median {median_ms(times['raw SQL']):.0f} ms"
    )
    totals = {currency: str(total.total) for currency, total in result.totals.items()}
    print(f"owed that day: {totals}, {len(result.rows)} clients")
    figure(
        f"aging {args.db}: as of a past day, p95",
        selector_p95,
        2,
        unit=" s",
        higher_is_better=False,
    )
    figure(f"aging {args.db}: aging() / raw SQL", ratio, 3, higher_is_better=False)
    print(f"\n{machine()}, {args.db}")


if __name__ == "__main__":
    main()
