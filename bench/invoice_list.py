"""3. The Invoices tab at scale: 100,000 invoices and 1,000 clients, on SQLite and on
PostgreSQL, half of the issued ones partly paid (the Balance column and its filters).
The selector (what the view runs: a page of 25 and the count, from statements the ORM
compiled once) against the same SQL run bare on the cursor (for a search, the lookup
of the matching clients, the page and the count), and the whole page through HTTP
(gunicorn, a logged-in session) against the selector. Beside them, for where the time
goes: the page through Django's request handling in this process (no socket), and a
view that answers "ok" to the same session through gunicorn (the floor under any page).

    python -m bench.invoice_list [--db sqlite|postgres] [--quick]
"""

import argparse
import copy
import datetime
import random
import time

import requests

from bench.common import (
    OUT,
    bench_firm,
    figure,
    gunicorn,
    machine,
    percentile_ms,
    setup_django,
    table,
)

PG_URL = "postgresql://postgres@127.0.0.1:5432/facturier_bench"


def ensure_pg_database():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname='facturier_bench'").fetchone():
            conn.execute("CREATE DATABASE facturier_bench")


def populate(invoices: int, clients: int):
    from facturier.invoicing.models import Invoice

    rng = random.Random(1)
    firm, user, client_ids = bench_firm(clients)
    start = datetime.date(2020, 1, 1)
    batch, number = [], 0
    for i in range(invoices):
        status = rng.choices(["draft", "finalized", "closed"], [2, 5, 3])[0]
        balance = None
        if status != "draft":
            number += 1
            # Half of the issued invoices partly paid, the rest owing it all or nothing.
            balance = 60 if rng.random() < 0.5 else (0 if status == "closed" else 120)
        batch.append(
            Invoice(
                firm=firm,
                client_id=rng.choice(client_ids),
                status=status,
                number=None if status == "draft" else f"{number:07d}",
                issue_date=start + datetime.timedelta(days=i * 2000 // invoices),
                payment_terms_days=30,
                currency="EUR",
                total_net=100,
                total_vat=20,
                total_gross=120,
                balance=balance,
                due_date=start + datetime.timedelta(days=i * 2000 // invoices + 30),
            )
        )
        if len(batch) == 5000:
            Invoice.objects.bulk_create(batch)
            batch = []
    Invoice.objects.bulk_create(batch)
    return user, client_ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.db == "postgres":
        ensure_pg_database()
    setup_django(PG_URL if args.db == "postgres" else f"sqlite:///{OUT / 'list.sqlite3'}")
    from django.db import connection
    from django.test import Client as HttpClient

    from bench.common import migrate_fresh
    from facturier.clients.models import Client
    from facturier.firms.backends import UserWithPermissions
    from facturier.invoicing.selectors import (
        MAX_LISTED_CLIENTS,
        CappedPaginator,
        InvoiceFilters,
        invoice_list,
        invoice_rows,
        invoice_table,
    )

    migrate_fresh()
    count = 20_000 if args.quick else 100_000
    started = time.perf_counter()
    user, client_ids = populate(count, 1000)
    with connection.cursor() as cursor:
        # What autovacuum (PostgreSQL) or PRAGMA optimize (SQLite) does after a bulk
        # load: statistics for the planner (and PostgreSQL's visibility map).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"{count} invoices, 1000 clients written in {time.perf_counter() - started:.1f} s")

    cases = {
        "default (not closed)": ({}, InvoiceFilters()),
        "Closed filter": ({"status": "closed"}, InvoiceFilters(statuses=frozenset({"closed"}))),
        "client filter": ({"client": client_ids[42]}, InvoiceFilters(client_id=client_ids[42])),
        "text search": ({"q": "Client 0042"}, InvoiceFilters(q="Client 0042")),
        "Partially paid filter": (
            {"payment": "partly_paid"},
            InvoiceFilters(payment=frozenset({"partly_paid"})),
        ),
        "Overdue filter": ({"payment": "overdue"}, InvoiceFilters(payment=frozenset({"overdue"}))),
    }
    http = HttpClient()
    http.force_login(user)
    request_user = UserWithPermissions().get_user(user.pk)
    with gunicorn("bench.floor_wsgi") as base:
        # A browser holding the same session as the in-process client.
        browser = requests.Session()
        browser.cookies.set("sessionid", http.cookies["sessionid"].value)
        rounds = 30 if args.quick else 100
        rows = []
        ok = True
        for name, (params, filters) in cases.items():
            times = {"selector": [], "raw SQL": [], "HTTP": [], "in process": [], "bare view": []}

            def selector():
                # A request's user, as the session's backend reads it: with its rights.
                fresh = copy.copy(request_user)
                paginator = CappedPaginator(invoice_rows(user=fresh, filters=filters), 25)
                page = paginator.page(1)  # what the view does: the count, then the page
                return [(i.number, i.client_name, i.total_gross) for i in page], paginator.count

            # The SQL the selector's statements are compiled from, with this case's values.
            queryset = invoice_table(user=user, filters=filters)
            page_sql, page_params = queryset[:25].query.sql_with_params()
            # The same capped count as the view's paginator (of the invoices: no client column).
            counted = invoice_list(user=user, filters=filters).order_by()[:10_001].values("pk")
            count_sql, count_params = counted.query.sql_with_params()
            count_sql = f"SELECT COUNT(*) FROM ({count_sql}) t"

            # A search first finds the matching clients: the selector runs that statement too.
            lookup_sql, lookup_params = (
                Client.objects.filter(firm_id=user.firm_id, name__icontains=filters.q)
                .order_by()
                .values_list("pk", flat=True)[: MAX_LISTED_CLIENTS + 1]
                .query.sql_with_params()
                if filters.q
                else (None, None)
            )

            def raw():
                with connection.cursor() as cursor:
                    if lookup_sql:
                        cursor.execute(lookup_sql, lookup_params)
                        cursor.fetchall()
                    cursor.execute(page_sql, page_params)
                    page = cursor.fetchall()
                    cursor.execute(count_sql, count_params)
                    return page, cursor.fetchone()

            def page():
                response = browser.get(f"{base}/billing/invoices/", params=params)
                assert response.status_code == 200 and '<table class="invoices' in response.text

            def in_process():
                response = http.get("/billing/invoices/", params, SERVER_NAME="127.0.0.1")
                assert response.status_code == 200

            def bare():
                response = browser.get(f"{base}/bench/bare/", allow_redirects=False)
                assert response.status_code == 200

            runs = {
                "selector": selector,
                "raw SQL": raw,
                "HTTP": page,
                "in process": in_process,
                "bare view": bare,
            }
            for run in runs.values():
                run()
            for _ in range(rounds):
                for label, run in runs.items():
                    start = time.perf_counter()
                    run()
                    times[label].append(time.perf_counter() - start)
            p95 = percentile_ms(times["selector"], 0.95)
            ratio = percentile_ms(times["selector"], 0.5) / percentile_ms(times["raw SQL"], 0.5)
            rows.append(
                [
                    name,
                    *(f"{percentile_ms(times[k], q):.2f}" for k in times for q in (0.5, 0.95)),
                    f"{ratio:.2f}x",
                ]
            )
            ok &= figure(
                f"list {args.db} {name}: selector p95", p95, 30, unit=" ms", higher_is_better=False
            )
            ok &= figure(
                f"list {args.db} {name}: selector/raw p50", ratio, 3, higher_is_better=False
            )
            page_p95 = percentile_ms(times["HTTP"], 0.95)
            page_ratio = percentile_ms(times["HTTP"], 0.5) / percentile_ms(times["selector"], 0.5)
            ok &= figure(
                f"list {args.db} {name}: page p95", page_p95, 30, unit=" ms", higher_is_better=False
            )
            ok &= figure(
                f"list {args.db} {name}: page/selector p50", page_ratio, 2, higher_is_better=False
            )
    table(
        f"Invoice list, {count} invoices, {args.db} (ms)",
        [
            "query",
            "selector p50",
            "p95",
            "raw p50",
            "p95",
            "HTTP p50",
            "p95",
            "in process p50",
            "p95",
            "bare view p50",
            "p95",
            "sel/raw",
        ],
        rows,
    )
    print(
        "\nHTTP: the page through gunicorn (one sync worker), as a browser with a session"
        " asks for it. in process: the same page through Django's request handling in this"
        " process, no socket. bare view: a login_required view answering 'ok' through"
        " gunicorn, the same middleware, session and user: the floor under any page."
    )
    print(f"\n{machine()}, {args.db}")


if __name__ == "__main__":
    main()
