"""4. Finalization under concurrency on PostgreSQL: N processes finalizing drafts at
once, and a check of gaps and duplicates in the numbers. Finalizations per second move
with the machine, so they are read against their limit measured in the same run: N
processes of a bare loop (psycopg, no Django) writing the same rows for as many
drafts of another firm, each in one transaction: the PDF task's row, the number taken
under the sequence row's lock (SELECT ... FOR UPDATE, then the increment), the invoice
made finalized with the same snapshot, and its audit event.

    python -m bench.finalize_concurrency [--processes 8] [--drafts 10000] [--rounds 4]
"""

import argparse
import datetime
import multiprocessing
import time
import uuid

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


def _bare(ids, firm_id, actor_id, snapshot, task, ready, results):
    """The limit: what a finalization writes, by hand, one transaction per draft."""
    import psycopg
    from psycopg.types.json import Jsonb

    columns, values = task
    insert_task = (
        f"INSERT INTO django_tasks_database_dbtaskresult ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    values = [Jsonb(v) if isinstance(v, dict | list) else v for v in values]
    key = columns.index("id")
    with psycopg.connect(PG_URL) as conn:
        ready.wait()
        start = time.time()
        for pk in ids:
            with conn.transaction():
                conn.execute(insert_task, [*values[:key], uuid.uuid4(), *values[key + 1 :]])
                prefix, char, length, number = conn.execute(
                    "SELECT prefix, padding_char, padding_length, next_number "
                    "FROM invoicing_invoicesequence WHERE firm_id = %s AND series = 'invoice' "
                    "FOR UPDATE",
                    [firm_id],
                ).fetchone()
                conn.execute(
                    "UPDATE invoicing_invoicesequence SET next_number = next_number + 1 "
                    "WHERE firm_id = %s AND series = 'invoice'",
                    [firm_id],
                )
                text = prefix + str(number).rjust(length, char or "0")
                now = datetime.datetime.now(datetime.UTC)
                today = now.date()
                conn.execute(
                    "UPDATE invoicing_invoice SET status = 'finalized', number = %s, "
                    "balance = total_gross, snapshot = %s, issue_date = %s, due_date = %s, "
                    "finalized_at = %s, finalized_by_id = %s, updated_at = %s WHERE id = %s",
                    [
                        text,
                        Jsonb({**snapshot, "number": text}),
                        today,
                        today + datetime.timedelta(days=30),
                        now,
                        actor_id,
                        now,
                        pk,
                    ],
                )
                conn.execute(
                    "INSERT INTO firms_auditevent (firm_id, target_type, target_id, target, "
                    "action, from_status, to_status, actor_id, at, details) VALUES "
                    "(%s, 'invoicing.invoice', %s, %s, 'invoice.finalized', 'draft', "
                    "'finalized', %s, %s, %s)",
                    [
                        firm_id,
                        str(pk),
                        text,
                        actor_id,
                        now,
                        Jsonb({"number": text, "template": None}),
                    ],
                )
        end = time.time()
    results.put((len(ids), start, end))


def _run(target, chunks, args, processes):
    """Start one process per chunk, all released together; (done, seconds)."""
    context = multiprocessing.get_context("spawn")
    ready, queue = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=target, args=(chunk, *args, ready, queue)) for chunk in chunks
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    # From the first finalization to the last, all processes started together once
    # each had imported what it needs: eight imports on two cores are not finalization
    # time (they overlapped the first processes' work before).
    return sum(r[0] for r in results), max(r[2] for r in results) - min(r[1] for r in results)


def _gaps(firm):
    from facturier.invoicing.models import Invoice

    numbers = sorted(
        int(n)
        for n in Invoice.objects.filter(firm=firm)
        .exclude(number=None)
        .values_list("number", flat=True)
    )
    duplicates = len(numbers) - len(set(numbers))
    gaps = (numbers[-1] - numbers[0] + 1 - len(set(numbers))) if numbers else 0
    return gaps, duplicates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    ensure_pg_database()
    setup_django(PG_URL)
    from django.contrib.auth.models import Permission

    from bench.common import migrate_fresh
    from facturier.clients.models import Client
    from facturier.firms.models import Firm, User
    from facturier.invoicing.models import Invoice, InvoiceLine, InvoiceSequence

    migrate_fresh()

    def firm_with_drafts(name, username, siren, vat_number):
        firm = Firm.objects.create(name=name, city="Paris", siren=siren, vat_number=vat_number)
        InvoiceSequence.objects.create(firm=firm)
        user = User.objects.create_user(username, firm=firm)
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
            [
                InvoiceLine(invoice=d, description="Mission", unit_price=100, vat_rate=20)
                for d in drafts
            ]
        )
        return firm, user, [d.pk for d in drafts]

    firm, user, ids = firm_with_drafts("Bench", "bench", "732829320", "FR44732829320")
    bare_firm, bare_user, bare_ids = firm_with_drafts(
        "Bench bare", "bare", "552100554", "FR40552100554"
    )
    from django.db import connection

    connection.close()
    n, rounds = args.processes, args.rounds
    done = elapsed = bare_done = bare_elapsed = 0.0
    # In rounds, the app's then the bare loop's, so the load of a shared machine falls on
    # both alike.
    for r in range(rounds):
        part = ids[r::rounds]
        app_done, app_seconds = _run(_work, [part[i::n] for i in range(n)], ("bench",), n)
        done, elapsed = done + app_done, elapsed + app_seconds
        if r == 0:
            # The bare loop writes what the app wrote: its snapshot, a row like its task's.
            sample = Invoice.objects.filter(firm=firm).exclude(number=None).first()
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM django_tasks_database_dbtaskresult LIMIT 1")
                task = ([c.name for c in cursor.description], list(cursor.fetchone()))
            connection.close()
        part = bare_ids[r::rounds]
        limit_done, limit_seconds = _run(
            _bare,
            [part[i::n] for i in range(n)],
            (bare_firm.pk, bare_user.pk, sample.snapshot, task),
            n,
        )
        bare_done, bare_elapsed = bare_done + limit_done, bare_elapsed + limit_seconds
    done, bare_done = int(done), int(bare_done)
    gaps, duplicates = _gaps(firm)
    bare_gaps, bare_duplicates = _gaps(bare_firm)
    rate, limit = done / elapsed, bare_done / bare_elapsed
    table(
        f"Concurrent finalizations (PostgreSQL, {n} processes)",
        ["path", "finalized", "seconds", "per s", "gaps", "duplicates"],
        [
            ["finalize_invoice", done, f"{elapsed:.1f}", f"{rate:.0f}", gaps, duplicates],
            [
                "bare SQL loop (the limit)",
                bare_done,
                f"{bare_elapsed:.1f}",
                f"{limit:.0f}",
                bare_gaps,
                bare_duplicates,
            ],
        ],
    )
    print(f"\n{machine()}, PostgreSQL; the PDFs are rendered afterwards by the worker")
    figure(f"finalizations per second / bare loop's, {n} processes", rate / limit, 0.5)
    figure("number gaps + duplicates", gaps + duplicates, 0, unit="", higher_is_better=False)


if __name__ == "__main__":
    main()
