"""12b. A month's billing at scale, on PostgreSQL, through the workers as production runs
it: 10 firms × 1,000 active engagements billed in "finalize and send" mode, each
invoice finalized (its PDF with Factur-X rendered by a worker) and queued for e-mail to
the client's billing contact, by two `outbox_worker` processes. One is killed (SIGKILL)
mid-pass and started again. Figures: the time from the workers' start to the last
e-mail queued and PDF stored (≤ 3 minutes), and the duplicates (0): periods billed
twice, invoices without their period, numbers used twice, drafts left over.

Not part of `bench.engagements` (it takes minutes and two cores):

    python -m bench.engagements_at_scale [--firms 10] [--per-firm 1000] [--kill-at 0.3]
        [--database postgresql://postgres@127.0.0.1:5432/facturier_bench_engagements]
"""

import argparse
import datetime
import os
import signal
import subprocess
import sys
import time

from bench.common import OUT, ROOT, figure, machine, setup_django, table
from bench.engagements import monthly_fee

DATABASE = "postgresql://postgres@127.0.0.1:5432/facturier_bench_engagements"


def siren(number: int) -> str:
    """A SIREN that passes the Luhn check: eight digits from `number`, and its key."""
    body = f"{number:08d}"
    for key in range(10):
        digits = [int(d) for d in body + str(key)]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
        )
        if total % 10 == 0:
            return body + str(key)
    raise AssertionError("no key")


def vat_number(company: str) -> str:
    return f"FR{(12 + 3 * (int(company) % 97)) % 97:02d}{company}"


def populate(firms: int, per_firm: int, start: datetime.date) -> int:
    from django.contrib.auth.models import Permission

    from facturier.clients.models import Client, Contact
    from facturier.engagements.models import Engagement, Mission
    from facturier.firms.models import Firm, User
    from facturier.invoicing.models import InvoiceSequence

    process = Permission.objects.get(codename="process_invoices")
    for index in range(firms):
        company = siren(73282930 + index)
        firm = Firm.objects.create(
            name=f"Cabinet {index}",
            city="Paris",
            email_from=f"factures{index}@cabinet.example",
            siren=company,
            vat_number=vat_number(company),
        )
        InvoiceSequence.objects.create(firm=firm)
        user = User.objects.create_user(f"bench{index}", firm=firm, language="fr")
        user.user_permissions.add(process)
        Client.objects.bulk_create(
            [
                Client(
                    firm=firm,
                    name=f"Client {index}-{n:04d} SARL",
                    company_id="552100554",
                    address_line1="2 rue du Bac",
                    postal_code="75007",
                    city="Lyon",
                )
                for n in range(per_firm)
            ]
        )
        clients = list(Client.objects.filter(firm=firm).values_list("pk", flat=True))
        Client.owners.through.objects.bulk_create(
            [Client.owners.through(client_id=pk, user_id=user.pk) for pk in clients]
        )
        Contact.objects.bulk_create(
            [
                Contact(client_id=pk, name="Compta", is_billing=True, email=f"compta{pk}@x.example")
                for pk in clients
            ]
        )
        Engagement.objects.bulk_create(
            [
                Engagement(
                    firm=firm,
                    client_id=pk,
                    reference=f"LM-{n:05d}",
                    responsible=user,
                    start_date=start,
                    tacit_renewal=True,
                    billing_mode="finalize",
                    next_bill_date=start,
                )
                for n, pk in enumerate(clients)
            ]
        )
        Mission.objects.bulk_create(
            [monthly_fee(engagement) for engagement in Engagement.objects.filter(firm=firm)]
        )
    return firms * per_firm


def counts() -> dict[str, int]:
    from facturier.engagements.models import BilledPeriod
    from facturier.invoicing.models import EmailDelivery, Invoice, InvoicePdf

    return {
        "periods": BilledPeriod.objects.count(),
        "finalized": Invoice.objects.exclude(status="draft").count(),
        "pdfs": InvoicePdf.objects.count(),
        "e-mails": EmailDelivery.objects.count(),
    }


def duplicates() -> dict[str, int]:
    from django.db.models import Count

    from facturier.engagements.models import BilledPeriod, RunFailure
    from facturier.invoicing.models import EmailDelivery, Invoice

    twice = (
        BilledPeriod.objects.values("mission_id", "part", "period_start")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    numbers = (
        Invoice.objects.exclude(number="")
        .values("firm_id", "number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    mailed = EmailDelivery.objects.values("invoice_id").annotate(n=Count("id")).filter(n__gt=1)
    return {
        "periods billed twice": twice.count(),
        "invoices without their period": Invoice.objects.exclude(
            pk__in=BilledPeriod.objects.values("invoice_id")
        ).count(),
        "numbers used twice": numbers.count(),
        "invoices e-mailed twice": mailed.count(),
        "drafts left": Invoice.objects.filter(status="draft").count(),
        "run failures": RunFailure.objects.count(),
    }


def start_worker(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "outbox_worker",
            "--interval",
            "0.2",
            "--max-deliveries",
            "1000000",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def run(expected: int, database: str, kill_at: float, timeout: float) -> tuple[float, bool]:
    """Two workers from an empty outbox to every invoice finalized, rendered and queued;
    the first killed once `kill_at` of the periods are billed, then started again."""
    from django.db import connection

    connection.close()
    env = {**os.environ, "DATABASE_URL": database, "EMAIL_URL": "locmem://"}
    log_path = OUT / "engagements-at-scale-workers.log"
    with log_path.open("w") as log:
        started = time.perf_counter()
        workers = [start_worker(env, log), start_worker(env, log)]
        killed = False
        try:
            while True:
                now = counts()
                if not killed and now["periods"] >= kill_at * expected:
                    workers[0].send_signal(signal.SIGKILL)
                    workers[0].wait(timeout=30)
                    print(f"killed a worker at {now['periods']} periods billed")
                    workers[0] = start_worker(env, log)
                    killed = True
                if killed and all(now[k] >= expected for k in ("finalized", "pdfs", "e-mails")):
                    break
                if time.perf_counter() - started > timeout:
                    print(f"timed out: {now}")
                    return time.perf_counter() - started, False
                time.sleep(0.5)
                connection.close()
            elapsed = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
    return elapsed, True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=10)
    parser.add_argument("--per-firm", type=int, default=1000)
    parser.add_argument("--kill-at", type=float, default=0.3, help="share of periods billed")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()
    from bench.invoice_list import ensure_pg_database

    ensure_pg_database(args.database)
    setup_django(args.database)
    from django.utils import timezone

    from bench.common import migrate_fresh

    migrate_fresh()
    start = timezone.localdate().replace(day=1)
    began = time.perf_counter()
    expected = populate(args.firms, args.per_firm, start)
    print(f"{expected} engagements written in {time.perf_counter() - began:.1f} s")
    elapsed, done = run(expected, args.database, args.kill_at, args.timeout)
    found = counts()
    wrong = duplicates()
    table(
        f"A month's run at scale: {args.firms} firms × {args.per_firm} engagements, "
        "finalized, PDF and Factur-X, e-mailed; two workers, one killed mid-pass (postgresql)",
        ["what", "count"],
        [[name, value] for name, value in {**found, **wrong}.items()],
    )
    ok = done and figure(
        "engagements at scale: the run, finalized and queued",
        elapsed / 60,
        3,
        unit=" min",
        higher_is_better=False,
    )
    ok &= figure(
        "engagements at scale: duplicates and leftovers",
        sum(wrong.values()),
        0,
        unit="",
        higher_is_better=False,
    )
    print(f"\n{machine()}, postgresql")
    return ok


if __name__ == "__main__":
    main()
