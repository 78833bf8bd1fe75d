"""4. Finalization under concurrency on PostgreSQL: N processes finalizing drafts at
once; finalizations per second, and a check of gaps and duplicates in the numbers.

    python -m bench.finalize_concurrency [--processes 8] [--drafts 10000]
"""

import argparse
import multiprocessing
import time

from bench.common import figure, machine, setup_django, table
from bench.invoice_list import PG_URL, ensure_pg_database


def _work(ids, username, ready, results):
    setup_django(PG_URL)
    from django.db import connection

    from facturier.firms.models import User
    from facturier.invoicing import actions

    user = User.objects.get(username=username)
    ready.wait()  # every process has imported the app: start together
    start = time.time()
    for pk in ids:
        actions.finalize_invoice(pk, by=user)
    end = time.time()
    connection.close()
    results.put((len(ids), start, end))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--drafts", type=int, default=10_000)
    args = parser.parse_args()
    ensure_pg_database()
    setup_django(PG_URL)
    from django.contrib.auth.models import Permission

    from bench.common import migrate_fresh
    from facturier.clients.models import Client
    from facturier.firms.models import Firm, User
    from facturier.invoicing.models import Invoice, InvoiceLine, InvoiceSequence

    migrate_fresh()
    firm = Firm.objects.create(
        name="Bench", city="Paris", siren="732829320", vat_number="FR44732829320"
    )
    InvoiceSequence.objects.create(firm=firm)
    user = User.objects.create_user("bench", firm=firm)
    user.user_permissions.add(Permission.objects.get(codename="process_invoices"))
    client = Client.objects.create(
        firm=firm,
        name="Client",
        company_id="552100554",  # a business: its e-invoicing address is its SIREN
        address_line1="1 rue",
        postal_code="75001",
        city="Paris",
    )
    client.owners.add(user)
    drafts = Invoice.objects.bulk_create(
        [
            Invoice(
                firm=firm,
                client=client,
                issue_date="2026-11-01",
                payment_terms_days=30,
                currency="EUR",
                total_net=100,
                total_vat=20,
                total_gross=120,
            )
            for _ in range(args.drafts)
        ]
    )
    InvoiceLine.objects.bulk_create(
        [InvoiceLine(invoice=d, description="Mission", unit_price=100, vat_rate=20) for d in drafts]
    )
    ids = [d.pk for d in drafts]
    from django.db import connection

    connection.close()
    context = multiprocessing.get_context("spawn")
    ready, queue = context.Barrier(args.processes), context.Queue()
    processes = [
        context.Process(target=_work, args=(ids[i :: args.processes], "bench", ready, queue))
        for i in range(args.processes)
    ]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    # From the first finalization to the last, all processes started together once
    # each had imported Django: eight imports on two cores are not finalization time
    # (they overlapped the first processes' work before).
    done = sum(r[0] for r in results)
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    numbers = sorted(
        int(n) for n in Invoice.objects.exclude(number=None).values_list("number", flat=True)
    )
    duplicates = len(numbers) - len(set(numbers))
    gaps = (numbers[-1] - numbers[0] + 1 - len(set(numbers))) if numbers else 0
    table(
        "Concurrent finalizations (PostgreSQL)",
        ["processes", "finalized", "seconds", "per s", "gaps", "duplicates"],
        [[args.processes, done, f"{elapsed:.1f}", f"{done / elapsed:.0f}", gaps, duplicates]],
    )
    print(f"\n{machine()}, PostgreSQL; the PDFs are rendered afterwards by the worker")
    figure("finalizations per second", done / elapsed, 300, unit="/s")
    figure("number gaps + duplicates", gaps + duplicates, 0, unit="", higher_is_better=False)


if __name__ == "__main__":
    main()
