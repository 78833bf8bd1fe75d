"""11. The Clients tab at 10,000 clients (30,000 invoices, part of them owing), through
HTTP (gunicorn, a logged-in session): the default list, a search by name, a search by
SIREN, the open-balance filter and the archived ones, each interleaved with a view that
answers "ok" to the same session (the floor under any page) and with the Invoices tab
on the same data (a page that meets its own 30 ms target on an idle machine): the
ratios hold when the machine is busy, the milliseconds do not.

    python -m bench.clients_list [--quick]
"""

import argparse
import time

import requests

from bench.common import OUT, figure, gunicorn, machine, percentile_ms, setup_django, table


def populate(clients: int, invoices: int):
    from bench.invoice_list import populate as with_invoices
    from facturier.clients.models import Client

    user, client_ids = with_invoices(invoices, clients)
    # Identifiers to search, and a tenth of the clients archived.
    rows = list(Client.objects.filter(pk__in=client_ids).order_by("pk"))
    for index, client in enumerate(rows):
        client.company_id = f"{100000000 + index:09d}"
        client.country = "FR" if index % 5 else "BE"
        if index % 10 == 0:
            from django.utils import timezone

            client.archived_at = timezone.now()
    Client.objects.bulk_update(rows, ["company_id", "country", "archived_at"], batch_size=2000)
    return user


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(f"sqlite:///{OUT / 'clients_list.sqlite3'}")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient

    from bench.common import migrate_fresh

    migrate_fresh()
    started = time.perf_counter()
    user = populate(10_000, 30_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"10000 clients, 30000 invoices written in {time.perf_counter() - started:.1f} s")
    call_command("collectstatic", interactive=False, verbosity=0)
    cases = {
        "default (not archived)": {},
        "search by name": {"q": "Client 0042"},
        "search by SIREN": {"q": "100 004 2"},
        "open balance": {"owing": "1"},
        "country and archived": {"country": "BE", "archived": "1"},
    }
    http = HttpClient()
    http.force_login(user)
    rounds = 30 if args.quick else 100
    rows, ok = [], True
    with gunicorn("bench.floor_wsgi") as base:
        browser = requests.Session()
        browser.cookies.set("sessionid", http.cookies["sessionid"].value)

        def bare():
            response = browser.get(f"{base}/bench/bare/", allow_redirects=False)
            assert response.status_code == 200

        def invoices():
            response = browser.get(f"{base}/billing/invoices/")
            assert response.status_code == 200

        for name, params in cases.items():

            def page(params=params):
                response = browser.get(f"{base}/billing/clients/", params=params)
                assert response.status_code == 200 and 'id="client-table"' in response.text

            times = {"page": [], "bare view": [], "Invoices tab": []}
            runs = (("page", page), ("bare view", bare), ("Invoices tab", invoices))
            for _label, run in runs:
                run()
            for _ in range(rounds):
                for label, run in runs:
                    start = time.perf_counter()
                    run()
                    times[label].append(time.perf_counter() - start)
            p95 = percentile_ms(times["page"], 0.95)
            ratio = percentile_ms(times["page"], 0.5) / percentile_ms(times["bare view"], 0.5)
            to_invoices = percentile_ms(times["page"], 0.5) / percentile_ms(
                times["Invoices tab"], 0.5
            )
            rows.append(
                [
                    name,
                    *(f"{percentile_ms(times[k], q):.2f}" for k in times for q in (0.5, 0.95)),
                    f"{ratio:.2f}x",
                    f"{to_invoices:.2f}x",
                ]
            )
            ok &= figure(f"clients {name}: page p95", p95, 30, unit=" ms", higher_is_better=False)
            print(f"FIGURE clients {name}: page p50 / bare view p50: {ratio:.2f}x")
            ok &= figure(
                f"clients {name}: page p50 / Invoices tab p50",
                to_invoices,
                1,
                higher_is_better=False,
            )
    table(
        "Clients list, 10,000 clients, sqlite, through gunicorn (ms)",
        [
            "case",
            "page p50",
            "p95",
            "bare view p50",
            "p95",
            "Invoices p50",
            "p95",
            "page/bare p50",
            "page/Invoices p50",
        ],
        rows,
    )
    with open("/proc/loadavg") as load:
        print(f"\n{machine()}, sqlite, load average {load.read().split()[0]} while it ran")


if __name__ == "__main__":
    main()
