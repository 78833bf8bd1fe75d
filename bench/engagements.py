"""12. Engagements at 10,000 (one firm, 2,000 clients with five engagements each, a
monthly fixed fee revised by a percentage each year), on SQLite:

- the Engagements tab and the billing-run page through HTTP (gunicorn, a logged-in
  session), each interleaved with a view that answers "ok" to the same session (the
  floor under any page): p95 ≤ 50 ms;
- the preview of an engagement's next twelve invoices (with its indexation): ≤ 20 ms;
- a month's run over 1,000 of the engagements (drafts), against a bare loop that inserts
  the same rows with raw SQL on the cursor (the invoice, its line, the billed period the
  unique key guards, the two audit rows the law asks for: the invoice's creation and the
  engagement's billing), interleaved in rounds: the run's own overhead ≤ 2x that loop.

    python -m bench.engagements [--quick] [--only pages|preview|run]
"""

import argparse
import datetime
import time
from decimal import Decimal

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

START = datetime.date(2027, 1, 1)


def monthly_fee(engagement):
    """The benches' mission: 1,200 a year, billed monthly in advance on the 1st."""
    from facturier.engagements.models import Mission

    return Mission(
        engagement=engagement,
        name="Tenue comptable",
        fee_kind="fixed",
        annual_fee=Decimal("1200.00"),
        vat_rate=Decimal("20.00"),
        frequency="monthly",
        timing="advance",
        billing_day=1,
    )


def populate(clients: int, per_client: int):
    from facturier.clients.models import Client
    from facturier.engagements.models import Engagement, Mission

    firm, user, client_ids = bench_firm(clients)
    Client.objects.filter(pk__in=client_ids).update(
        address_line1="2 rue du Bac", postal_code="75007"
    )
    Client.owners.through.objects.bulk_create(
        [Client.owners.through(client_id=pk, user_id=user.pk) for pk in client_ids]
    )
    engagements = [
        Engagement(
            firm=firm,
            client_id=client_id,
            reference=f"LM-{index:05d}-{n}",
            responsible=user,
            start_date=START,
            tacit_renewal=True,
            indexation="percent",
            indexation_percent=Decimal("2.00"),
            next_bill_date=START,
        )
        for index, client_id in enumerate(client_ids)
        for n in range(per_client)
    ]
    Engagement.objects.bulk_create(engagements, batch_size=2000)
    Mission.objects.bulk_create(
        [monthly_fee(engagement) for engagement in Engagement.objects.order_by("pk")],
        batch_size=2000,
    )
    return firm, user


def through_http(user, rounds: int) -> tuple[list, bool]:
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(user)
    pages = {
        "Engagements tab": ("/billing/engagements/", 'id="engagements"'),
        "Engagements tab, active": ("/billing/engagements/?status=active", 'id="engagements"'),
        "billing-run page": ("/billing/engagements/run/", 'id="run-coming"'),
    }
    rows, ok = [], True
    with gunicorn("bench.floor_wsgi") as base:
        browser = requests.Session()
        browser.cookies.set("sessionid", http.cookies["sessionid"].value)

        def bare():
            assert browser.get(f"{base}/bench/bare/", allow_redirects=False).status_code == 200

        for name, (path, marker) in pages.items():

            def page(path=path, marker=marker):
                response = browser.get(base + path)
                assert response.status_code == 200 and marker in response.text

            times = {"page": [], "bare view": []}
            page(), bare()
            for _ in range(rounds):
                for label, run in (("page", page), ("bare view", bare)):
                    started = time.perf_counter()
                    run()
                    times[label].append(time.perf_counter() - started)
            p95 = percentile_ms(times["page"], 0.95)
            above = percentile_ms(times["page"], 0.5) - percentile_ms(times["bare view"], 0.5)
            rows.append(
                [name, *(f"{percentile_ms(times[k], q):.2f}" for k in times for q in (0.5, 0.95))]
            )
            ok &= figure(
                f"engagements {name}: page p95", p95, 50, unit=" ms", higher_is_better=False
            )
            print(f"FIGURE engagements {name}: page p50 - bare view p50: {above:.2f} ms")
    return rows, ok


def preview_times(rounds: int) -> bool:
    from facturier.engagements.models import Engagement
    from facturier.engagements.selectors import preview

    engagement = Engagement.objects.select_related("client").order_by("pk").first()
    found, _ = preview(engagement)
    assert len(found) == 12
    times = []
    for _ in range(rounds):
        fresh = Engagement.objects.select_related("client").get(pk=engagement.pk)
        started = time.perf_counter()
        preview(fresh)
        times.append(time.perf_counter() - started)
    print(f"preview of 12 invoices: p50 {percentile_ms(times, 0.5):.2f} ms")
    return figure(
        "engagements preview of 12 invoices: p95",
        percentile_ms(times, 0.95),
        20,
        unit=" ms",
        higher_is_better=False,
    )


def bare_insert(templates: dict, missions: list[int], count: int) -> None:
    """What the run writes at the least, inserted by raw SQL: the invoice and its line,
    the billed period (each of a different mission: the unique key holds), the audit rows
    of the invoice and of the engagement."""
    from django.db import connection, transaction

    from facturier.engagements.models import BilledPeriod
    from facturier.firms.models import AuditEvent
    from facturier.invoicing.models import Invoice, InvoiceLine

    def insert(cursor, model, values: dict) -> int:
        columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [values[c] for c in columns],
        )
        return cursor.lastrowid

    with transaction.atomic(), connection.cursor() as cursor:
        for index in range(count):
            invoice_id = insert(cursor, Invoice, templates["invoice"])
            for line in templates["lines"]:
                insert(cursor, InvoiceLine, {**line, "invoice_id": invoice_id})
            period = {**templates["period"], "invoice_id": invoice_id}
            insert(cursor, BilledPeriod, {**period, "mission_id": missions[index]})
            for event in templates["audit"]:
                insert(cursor, AuditEvent, event)


def _rows(model, queryset) -> list[dict]:
    from django.db import connection

    return [
        {
            f.column: f.get_db_prep_save(getattr(row, f.attname), connection)
            for f in model._meta.concrete_fields
        }
        for row in queryset
    ]


def run_overhead(firm, user, engagements: int, rounds: int) -> bool:
    """Each round bills the next month of `engagements` engagements (a draft each), then
    inserts as many invoices' rows by raw SQL: interleaved, so both meet the same load."""
    from facturier.engagements import actions
    from facturier.engagements.models import BilledPeriod, Engagement, Mission
    from facturier.firms.models import AuditEvent
    from facturier.invoicing.models import Invoice, InvoiceLine

    Engagement.objects.exclude(
        pk__in=list(Engagement.objects.order_by("pk").values_list("pk", flat=True)[:engagements])
    ).update(paused_from=START)
    # The bare loop's billed periods name missions the run never bills (paused).
    spare = Mission.objects.filter(engagement__paused_from__isnull=False).order_by("pk")
    missions = list(spare.values_list("pk", flat=True)[:engagements])
    run_times, bare_times = [], []
    for month in range(1, rounds + 1):
        as_of = datetime.date(2027, month, 1)
        now = datetime.datetime.combine(as_of, datetime.time(9), tzinfo=datetime.UTC)
        started = time.perf_counter()
        result = actions.bill_due_periods(firm, by=user, as_of=as_of, now=now)
        run_times.append(time.perf_counter() - started)
        assert len(result.invoices) == engagements, (len(result.invoices), result.failures)
        made = Invoice.objects.get(pk=result.invoices[0].pk)
        period = BilledPeriod.objects.get(invoice=made)
        templates = {
            "invoice": _rows(Invoice, [made])[0],
            "lines": _rows(InvoiceLine, InvoiceLine.objects.filter(invoice=made)),
            "period": _rows(BilledPeriod, [period])[0],
            "audit": _rows(
                AuditEvent,
                AuditEvent.objects.filter(
                    target_type__in=["invoicing.invoice", "engagements.engagement"],
                    target_id__in=[str(made.pk), str(period.mission.engagement_id)],
                    at=now,
                ),
            ),
        }
        assert len(templates["audit"]) == 2, templates["audit"]
        started = time.perf_counter()
        bare_insert(templates, missions, engagements)
        bare_times.append(time.perf_counter() - started)
    run = sorted(run_times)[len(run_times) // 2]
    bare = sorted(bare_times)[len(bare_times) // 2]
    table(
        f"A month's run over {engagements} engagements (drafts), sqlite (s, median of {rounds})",
        ["run", "bare SQL loop", "ratio"],
        [[f"{run:.2f}", f"{bare:.2f}", f"{run / bare:.2f}x"]],
    )
    print(f"run: {engagements / run:.0f} engagements/s")
    print(
        "bare loop rows per engagement: invoice, "
        f"{len(templates['lines'])} line(s), billed period, {len(templates['audit'])} audit rows"
    )
    return figure("engagements run / bare insert loop", run / bare, 2, higher_is_better=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--only",
        choices=["pages", "preview", "run"],
        help="measure only this part (the data is written all the same)",
    )
    args = parser.parse_args()
    setup_django(f"sqlite:///{OUT / 'engagements.sqlite3'}")
    from django.core.management import call_command
    from django.db import connection

    from bench.common import migrate_fresh

    migrate_fresh()
    started = time.perf_counter()
    firm, user = populate(2000, 5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"10000 engagements written in {time.perf_counter() - started:.1f} s")
    ok = True
    if args.only in (None, "pages"):
        call_command("collectstatic", interactive=False, verbosity=0)
        rows, ok = through_http(user, 30 if args.quick else 100)
        table(
            "Engagements pages, 10,000 engagements, sqlite, through gunicorn (ms)",
            ["page", "p50", "p95", "bare view p50", "p95"],
            rows,
        )
    if args.only in (None, "preview"):
        ok &= preview_times(50 if args.quick else 200)
    if args.only in (None, "run"):
        ok &= run_overhead(firm, user, 200 if args.quick else 1000, 3)
    with open("/proc/loadavg") as load:
        print(f"\n{machine()}, sqlite, load average {load.read().split()[0]} while it ran")


if __name__ == "__main__":
    main()
