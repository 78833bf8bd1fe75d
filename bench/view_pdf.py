"""2. View PDF through the HTTP stack (gunicorn, a logged-in session) for a finalized
invoice, against a static file of the same size served by the same stack.

    python -m bench.view_pdf [--quick]
"""

import argparse
import os
import time

import requests

from bench.common import OUT, figure, gunicorn, machine, percentile_ms, setup_django, table


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    database = f"sqlite:///{OUT / 'view_pdf.sqlite3'}"
    setup_django(database)
    from django.conf import settings
    from django.core.management import call_command

    from bench.common import migrate_fresh
    from facturier.invoicing import actions
    from facturier.invoicing.models import Invoice

    migrate_fresh()
    call_command("load_demo", verbosity=0)
    invoice = Invoice.objects.filter(status="finalized").first()
    pdf = actions.pdf_for(invoice)  # stored, as after finalization
    call_command("collectstatic", interactive=False, verbosity=0)
    (settings.STATIC_ROOT / "same-size.bin").write_bytes(os.urandom(len(pdf)))

    with gunicorn() as base:
        session = requests.Session()
        session.get(base + "/login/")
        session.post(
            base + "/login/",
            data={
                "username": "alice",
                "password": "facturier-demo",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
        )
        urls = {
            "view pdf": f"{base}/billing/invoices/{invoice.pk}/pdf/",
            "static file": f"{base}/static/same-size.bin",
        }
        for url in urls.values():  # warm both
            for _ in range(20):
                assert session.get(url).status_code == 200
        times = {name: [] for name in urls}
        rounds = 200 if args.quick else 1000
        for _ in range(rounds):
            for name, url in urls.items():
                start = time.perf_counter()
                response = session.get(url)
                times[name].append(time.perf_counter() - start)
                assert response.status_code == 200 and len(response.content) == len(pdf)
    table(
        f"GET through gunicorn, {len(pdf)} bytes, {rounds} interleaved rounds (ms)",
        ["what", "p50", "p95"],
        [
            [name, f"{percentile_ms(v, 0.5):.2f}", f"{percentile_ms(v, 0.95):.2f}"]
            for name, v in times.items()
        ],
    )
    print(f"\n{machine()}, SQLite")
    ratio = percentile_ms(times["view pdf"], 0.5) / percentile_ms(times["static file"], 0.5)
    figure("view pdf p50 / static file p50", ratio, 2, higher_is_better=False)
    figure(
        "view pdf p95 (ms)",
        percentile_ms(times["view pdf"], 0.95),
        20,
        unit=" ms",
        higher_is_better=False,
    )


if __name__ == "__main__":
    main()
