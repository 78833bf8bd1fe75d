"""3. The Invoices tab at scale, half of the issued invoices partly paid (the Balance
column and its filters). On SQLite, one firm: 100,000 invoices and 1,000 clients. On
PostgreSQL, what a hosted service holds: 1,000,000 invoices over 1,000 firms, the
largest holding 100,000 (with 1,000 clients), the page asked by a user of that firm;
the rows are written by SQL (INSERT ... SELECT generate_series) into a database of its
own, kept from one run to the next.

The selector (what the view runs: a page of 25 and the count, from statements the ORM
compiled once) against the same SQL run bare on the cursor (for a search, the lookup
of the matching clients, the page and the count), and the whole page through HTTP
(gunicorn, a logged-in session). Beside them, for where the time goes: the page
through Django's request handling in this process (no socket), and a view that answers
"ok" to the same session through gunicorn (the floor under any page); what the page
adds above that floor is reported (page p50 - floor p50).

    python -m bench.invoice_list [--db sqlite|postgres] [--quick] [--rebuild]
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
# The list's data set is kept between runs: a database of its own, which the other
# PostgreSQL benches (each starting from an empty facturier_bench) leave alone.
LIST_PG_URL = "postgresql://postgres@127.0.0.1:5432/facturier_bench_list"
PG_FIRMS, PG_INVOICES, PG_LARGEST = 1000, 1_000_000, 100_000


def ensure_pg_database(url: str = PG_URL):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


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


def _insert_select(model, given: dict[str, str], source: str, params=()) -> None:
    """INSERT INTO model's table SELECT ... FROM source: `given` maps columns to SQL
    expressions; every other NOT NULL column gets its field's default, as the ORM would
    write it."""
    from django.db import connection
    from django.utils import timezone

    columns, values, defaults = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in given:
            values.append(given[field.column].replace("%", "%%"))  # SQL's modulo
        else:
            values.append("%s")
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default = timezone.now()
            else:
                default = field.get_default() if field.has_default() or not field.null else None
            defaults.append(field.get_db_prep_save(default, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {source}",
            [*defaults, *params],
        )


def populate_hosted(firms: int, invoices: int, largest: int):
    """`firms` firms and `invoices` invoices, the bench firm holding `largest` of them with
    its 1,000 clients, the others ten clients each and an even share; written by SQL."""
    from facturier.clients.models import Client
    from facturier.firms.models import Firm
    from facturier.invoicing.models import Invoice

    user, client_ids = populate_sql_firm(largest)
    others = Firm.objects.bulk_create(
        [Firm(name=f"Cabinet {i:04d}", city="Lille") for i in range(firms - 1)]
    )
    first_firm = min(f.pk for f in others)
    assert sorted(f.pk for f in others) == list(range(first_firm, first_firm + firms - 1))
    _insert_select(
        Client,
        {
            "firm_id": f"{first_firm} + (g - 1) / 10",
            "name": "'Client ' || g || ' SAS'",
            "city": "'Nantes'",
        },
        f"generate_series(1, {10 * (firms - 1)}) g ORDER BY g",
    )
    first_client = Client.objects.filter(firm_id=first_firm).order_by("pk").first().pk
    _invoices_sql(
        Invoice,
        firm=f"{first_firm} + (g % {firms - 1})",
        client=f"{first_client} + (g % {firms - 1}) * 10 + (g / {firms - 1}) % 10",
        count=invoices - largest,
    )
    return user, client_ids


def populate_sql_firm(count: int):
    from facturier.invoicing.models import Invoice

    firm, user, client_ids = bench_firm(1000)
    first = min(client_ids)
    assert client_ids == list(range(first, first + len(client_ids)))
    _invoices_sql(
        Invoice,
        firm=str(firm.pk),
        client=f"{first} + (g * 7919) % 1000",
        count=count,
    )
    return user, client_ids


def _invoices_sql(model, *, firm: str, client: str, count: int) -> None:
    """`count` invoices as populate() writes them (2 drafts, 5 finalized, 3 closed in 10;
    half of the issued ones partly paid), dated over 2,000 days in order of g."""
    status = (
        "CASE WHEN (g * 31) % 10 < 2 THEN 'draft' WHEN (g * 31) % 10 < 7 THEN 'finalized' "
        "ELSE 'closed' END"
    )
    _insert_select(
        model,
        {
            "firm_id": firm,
            "client_id": client,
            "status": status,
            "number": "CASE WHEN (g * 31) % 10 < 2 THEN NULL ELSE lpad(g::text, 7, '0') END",
            "issue_date": f"DATE '2020-01-01' + (g::bigint * 2000 / {count})::int",
            "due_date": f"DATE '2020-01-31' + (g::bigint * 2000 / {count})::int",
            "payment_terms_days": "30",
            "currency": "'EUR'",
            "total_net": "100",
            "total_vat": "20",
            "total_gross": "120",
            "balance": (
                "CASE WHEN (g * 31) % 10 < 2 THEN NULL WHEN (g * 17) % 2 = 0 THEN 60 "
                "WHEN (g * 31) % 10 >= 7 THEN 0 ELSE 120 END"
            ),
        },
        f"generate_series(1, {count}) g",
    )


def hosted_data_set(rebuild: bool):
    """The PostgreSQL data set, built once: kept while its marker counts hold."""
    from django.core.management import call_command
    from django.db import connection

    from bench.common import migrate_fresh
    from facturier.clients.models import Client
    from facturier.firms.models import Firm, User
    from facturier.invoicing.models import Invoice

    call_command("migrate", verbosity=0)  # a kept database gets the newer migrations
    user = User.objects.filter(username="bench").first()
    if (
        not rebuild
        and user is not None
        and Firm.objects.count() == PG_FIRMS
        and Invoice.objects.count() == PG_INVOICES
        and Invoice.objects.filter(firm_id=user.firm_id).count() == PG_LARGEST
    ):
        client_ids = list(
            Client.objects.filter(firm_id=user.firm_id).order_by("pk").values_list("pk", flat=True)
        )
        print(f"{PG_INVOICES} invoices over {PG_FIRMS} firms, kept from a previous run")
        return User.objects.get(pk=user.pk), client_ids
    migrate_fresh()
    started = time.perf_counter()
    user, client_ids = populate_hosted(PG_FIRMS, PG_INVOICES, PG_LARGEST)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"{PG_INVOICES} invoices over {PG_FIRMS} firms (the largest {PG_LARGEST}) "
        f"written in {time.perf_counter() - started:.1f} s"
    )
    return user, client_ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="PostgreSQL: write it anew")
    args = parser.parse_args()
    if args.db == "postgres":
        ensure_pg_database(LIST_PG_URL)
    setup_django(LIST_PG_URL if args.db == "postgres" else f"sqlite:///{OUT / 'list.sqlite3'}")
    from django.core.management import call_command
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

    if args.db == "postgres":
        user, client_ids = hosted_data_set(args.rebuild)
        count, scale = PG_LARGEST, f"{PG_LARGEST} of {PG_INVOICES} invoices, {PG_FIRMS} firms"
    else:
        migrate_fresh()
        count = 20_000 if args.quick else 100_000
        scale = f"{count} invoices"
        started = time.perf_counter()
        user, client_ids = populate(count, 1000)
        with connection.cursor() as cursor:
            # What PRAGMA optimize does after a bulk load: statistics for the planner.
            cursor.execute("ANALYZE")
        print(f"{count} invoices, 1000 clients written in {time.perf_counter() - started:.1f} s")
    # The layout's stylesheets, as the served app finds them (make run collects them).
    call_command("collectstatic", interactive=False, verbosity=0)

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
            for round_ in range(rounds):
                order = list(runs.items())
                if round_ % 2:
                    # The selector and raw SQL swap places every other round: the one
                    # run first after the pages finds SQLite's code and data out of
                    # the CPU's caches, which the second then finds in them.
                    order[0], order[1] = order[1], order[0]
                for label, run in order:
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
            added = percentile_ms(times["HTTP"], 0.5) - percentile_ms(times["bare view"], 0.5)
            ok &= figure(
                f"list {args.db} {name}: page p95", page_p95, 30, unit=" ms", higher_is_better=False
            )
            # No mark: the page's own work (its queries, the rows' rights, the render),
            # read beside the floor that any page pays.
            print(f"FIGURE list {args.db} {name}: page p50 - bare view p50: {added:.2f} ms")
    table(
        f"Invoice list, {scale}, {args.db} (ms)",
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
