"""12. The client portal's pages for a client with 1,000 documents, through HTTP
(gunicorn, a contact's portal session): what is owed, the documents (first and last
page), an invoice's page (which writes its line on the invoice's history), payments,
the statement of account over a year and the mandates, each interleaved with a view that
answers "ok" (the floor under any page): the ratios hold when the machine is busy, the
milliseconds do not.

    python -m bench.portal [--quick]
"""

import argparse
import time

import requests

from bench.common import OUT, figure, gunicorn, machine, percentile_ms, setup_django, table


def populate(documents: int):
    """One client with `documents` invoices (half of them owing something), a contact
    invited to the portal and signed in; returns (staff user, portal cookie, an invoice)."""
    from bench.invoice_list import populate as with_invoices
    from facturier.clients.models import Client, Contact
    from facturier.firms.models import User
    from facturier.invoicing.models import Invoice
    from facturier.portal import actions
    from facturier.portal.models import SignInLink, new_secret

    user, [client_id] = with_invoices(documents, 1)
    client = Client.objects.get(pk=client_id)
    client.owners.add(user)
    user = User.objects.get(pk=user.pk)
    contact = Contact.objects.create(client=client, name="Jeanne Martin", email="j@bench.example")
    access = actions.invite_contact(client, by=user, contact=contact, site="http://bench/")
    raw, digest = new_secret()  # a link whose raw form the bench knows
    SignInLink.objects.filter(access=access).update(digest=digest)
    _session, cookie = actions.open_session(raw)
    owing = Invoice.objects.filter(client=client, balance__gt=0).order_by("pk").first()
    return user, cookie, owing.pk


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(f"sqlite:///{OUT / 'portal.sqlite3'}")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient

    from bench.common import migrate_fresh
    from facturier.portal.session import COOKIE

    migrate_fresh()
    user, cookie, invoice = populate(1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    call_command("collectstatic", interactive=False, verbosity=0)
    staff = HttpClient()
    staff.force_login(user)
    pages = {
        "what is owed": ("/portal/home/", {}),
        "documents, first page": ("/portal/documents/", {}),
        "documents, last page": ("/portal/documents/", {"page": "last"}),
        "an invoice (its history line written)": (f"/portal/invoices/{invoice}/", {}),
        "payments": ("/portal/payments/", {}),
        "statement of account, a year": (
            "/portal/statement/",
            {"start": "2021-01-01", "end": "2021-12-31"},
        ),
        "mandates": ("/portal/mandates/", {}),
    }
    rounds = 30 if args.quick else 100
    rows, ok = [], True
    with gunicorn("bench.floor_wsgi") as base:
        browser = requests.Session()
        browser.cookies.set("sessionid", staff.cookies["sessionid"].value)
        browser.cookies.set(COOKIE, cookie)

        def bare():
            assert browser.get(f"{base}/bench/bare/", allow_redirects=False).status_code == 200

        for name, (path, params) in pages.items():

            def page(path=path, params=params):
                response = browser.get(f"{base}{path}", params=params, allow_redirects=False)
                assert response.status_code == 200, (path, response.status_code)

            times = {"page": [], "bare view": []}
            runs = (("page", page), ("bare view", bare))
            for _label, run in runs:
                run()
            for _ in range(rounds):
                for label, run in runs:
                    start = time.perf_counter()
                    run()
                    times[label].append(time.perf_counter() - start)
            p95 = percentile_ms(times["page"], 0.95)
            ratio = percentile_ms(times["page"], 0.5) / percentile_ms(times["bare view"], 0.5)
            rows.append(
                [
                    name,
                    *(f"{percentile_ms(times[k], q):.2f}" for k in times for q in (0.5, 0.95)),
                    f"{ratio:.2f}x",
                ]
            )
            ok &= figure(f"portal {name}: page p95", p95, 30, unit=" ms", higher_is_better=False)
            print(f"FIGURE portal {name}: page p50 / bare view p50: {ratio:.2f}x")
    table(
        "Client portal, one client with 1,000 documents, sqlite, through gunicorn (ms)",
        ["page", "page p50", "p95", "bare view p50", "p95", "page/bare p50"],
        rows,
    )
    with open("/proc/loadavg") as load:
        print(f"\n{machine()}, sqlite, load average {load.read().split()[0]} while it ran")


if __name__ == "__main__":
    main()
