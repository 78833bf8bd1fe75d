"""7. Recording and allocating payments: 10,000 payments, each paying half of one
invoice, through `receivables.actions.record_payment` (rights, locks, checks, the
invoice's event, the audit row) against the same rows written by bare SQL in one
transaction per payment, interleaved in the same process. The mark: a month's bank
statement of 5,000 lines confirmed in under a minute (12 ms a payment).

    python -m bench.payments [--db sqlite|postgres] [--payments 10000]
"""

import argparse
import datetime
import itertools
import time
from decimal import Decimal

from bench.common import (
    OUT,
    bench_firm,
    figure,
    interleave,
    machine,
    median_ms,
    setup_django,
    table,
)
from bench.invoice_list import PG_URL, ensure_pg_database

ROUND = 100  # payments per timed round


def populate(count: int):
    from facturier.invoicing.models import Invoice

    firm, user, client_ids = bench_firm(500)
    Invoice.objects.bulk_create(
        [
            Invoice(
                firm=firm,
                client_id=client_ids[i % len(client_ids)],
                status="finalized",
                number=f"{i + 1:07d}",
                issue_date=datetime.date(2026, 1, 1),
                due_date=datetime.date(2026, 1, 31),
                payment_terms_days=30,
                currency="EUR",
                total_net=100,
                total_vat=20,
                total_gross=120,
                balance=120,
            )
            for i in range(count)
        ],
        batch_size=5000,
    )
    invoices = list(Invoice.objects.order_by("pk").values_list("pk", "client_id"))
    return user, invoices


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--payments", type=int, default=10_000)
    args = parser.parse_args()
    if args.db == "postgres":
        ensure_pg_database()
    setup_django(PG_URL if args.db == "postgres" else f"sqlite:///{OUT / 'payments.sqlite3'}")
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.common import migrate_fresh
    from facturier.firms.models import AuditEvent
    from facturier.invoicing.models import Invoice
    from facturier.receivables import actions
    from facturier.receivables.models import Allocation, Payment

    migrate_fresh()
    user, invoices = populate(2 * args.payments)
    through_actions, bare = invoices[0::2], invoices[1::2]
    today = datetime.date.today()
    half = Decimal("60.00")

    # interleave() numbers calls across both paths: each path keeps its own count.
    next_action_round, next_sql_round = itertools.count(), itertools.count()

    def with_actions(_call: int) -> None:
        index = next(next_action_round)
        for pk, client_id in through_actions[index * ROUND : (index + 1) * ROUND]:
            actions.record_payment(
                by=user,
                client=client_id,
                amount=half,
                received_on=today,
                method="transfer",
                reference=f"VIR {pk}",
                allocations=[{"invoice": pk, "amount": half}],
            )

    payment_table = Payment._meta.db_table
    allocation_table = Allocation._meta.db_table
    invoice_table = Invoice._meta.db_table
    event_table = AuditEvent._meta.db_table
    firm_id = user.firm_id

    def with_sql(_call: int) -> None:
        """The rows a payment leaves, and nothing else: no checks, no lock, no audit."""
        index = next(next_sql_round)
        for pk, client_id in bare[index * ROUND : (index + 1) * ROUND]:
            now = timezone.now()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {payment_table} (firm_id, client_id, received_on, amount, "
                    "currency, method, reference, unallocated, recorded_by_id, recorded_at) "
                    "VALUES (%s, %s, %s, %s, 'EUR', 'transfer', %s, 0, %s, %s) RETURNING id",
                    [firm_id, client_id, today, half, f"VIR {pk}", user.pk, now],
                )
                (payment_id,) = cursor.fetchone()
                cursor.execute(
                    f"INSERT INTO {allocation_table} (firm_id, payment_id, invoice_id, amount, "
                    '"on", created_by_id, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)',
                    [firm_id, payment_id, pk, half, today, user.pk, now],
                )
                cursor.execute(
                    f"UPDATE {invoice_table} SET balance = balance - %s WHERE id = %s",
                    [half, pk],
                )
                cursor.execute(
                    f"INSERT INTO {event_table} (firm_id, target_type, target_id, target, "
                    "action, from_status, to_status, actor_id, at, details) VALUES "
                    "(%s, 'invoicing.invoice', %s, '', 'invoice.paid', '', '', %s, %s, '{}')",
                    [firm_id, str(pk), user.pk, now],
                )

    rounds = args.payments // ROUND
    started = time.perf_counter()
    times = interleave(
        {"record_payment": with_actions, "bare SQL": with_sql},
        rounds=rounds - 1,
        warmup=1,
    )
    total = time.perf_counter() - started
    per_payment = {name: median_ms(values) / ROUND for name, values in times.items()}
    ratio = per_payment["record_payment"] / per_payment["bare SQL"]
    paid = Invoice.objects.filter(balance=half).count()
    assert paid == 2 * rounds * ROUND, paid  # every payment landed, once
    action_seconds = sum(times["record_payment"])
    table(
        f"{rounds * ROUND} payments each way, {args.db} (ms per payment, median of rounds "
        f"of {ROUND})",
        ["path", "ms per payment", "payments/s"],
        [[name, f"{value:.2f}", f"{1000 / value:.0f}"] for name, value in per_payment.items()],
    )
    print(f"\nwall time for both paths: {total:.1f} s; record_payment alone {action_seconds:.1f} s")
    print(f"record_payment / bare SQL, per payment: {ratio:.2f}x")
    # A month's statement of 5,000 credit lines confirmed in under a minute.
    figure(
        f"payments {args.db}: ms per payment through record_payment",
        per_payment["record_payment"],
        12,
        unit=" ms",
        higher_is_better=False,
    )
    print(f"\n{machine()}, {args.db}")


if __name__ == "__main__":
    main()
