"""5. Bulk e-mail: N finalized invoices sent with their PDFs through the outbox and
worker(s) to a local aiosmtpd server, end to end, against a bare smtplib loop
sending the same prebuilt messages over one connection (the limit).

    python -m bench.bulk_email [--invoices 1000]
"""

import argparse
import os
import smtplib
import subprocess
import sys
import time

from bench.common import OUT, ROOT, figure, machine, setup_django, table


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1000)
    args = parser.parse_args()
    database = f"sqlite:///{OUT / 'email.sqlite3'}"
    sys.path.insert(0, str(ROOT))
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    os.environ["EMAIL_URL"] = server.url
    setup_django(database)
    from django.contrib.auth.models import Permission

    from bench.common import migrate_fresh
    from facturier.clients.models import Client, Contact
    from facturier.firms.models import Firm, User
    from facturier.invoicing import actions, email_outbox
    from facturier.invoicing.actions import send_invoices
    from facturier.invoicing.models import EmailDelivery, InvoiceSequence

    migrate_fresh()
    firm = Firm.objects.create(
        name="Bench",
        city="Paris",
        email_from="factures@bench.example",
        siren="732829320",
        vat_number="FR44732829320",
    )
    InvoiceSequence.objects.create(firm=firm)
    user = User.objects.create_user("bench", firm=firm)
    user.user_permissions.add(Permission.objects.get(codename="process_invoices"))
    user = User.objects.get(pk=user.pk)

    def finalized_batch(count):
        invoices = []
        for i in range(count):
            client = Client.objects.create(
                firm=firm,
                name=f"Client {i}",
                company_id="552100554",  # a business: its e-invoicing address is its SIREN
                address_line1="1 rue",
                postal_code="75001",
                city="Paris",
            )
            client.owners.add(user)
            user._owned_client_ids = None  # the cache of one request; here the owner changed
            Contact.objects.create(
                client=client, name="Compta", is_billing=True, email=f"compta{i}@client.example"
            )
            draft = actions.create_draft(
                by=user,
                client=client,
                lines=[{"description": f"Mission {i}", "unit_price": "450", "vat_rate": "20"}],
            )
            invoices.append(actions.finalize_invoice(draft, by=user))
        for invoice in invoices:  # the PDFs exist once the worker rendered them
            actions.pdf_for(invoice)
        return invoices

    print(f"preparing {3 * args.invoices} finalized invoices with their PDFs ...")
    batches = [finalized_batch(args.invoices) for _ in range(3)]
    # Their PDFs are stored already: the render tasks finalizing queued are done work.
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()

    # The limit: the same messages, prebuilt, over one connection.
    queued = send_invoices(batches[0], by=user, subject="Facture {number}", message="Bonjour")
    messages = [email_outbox.build_message(d).message() for d in queued]
    EmailDelivery.objects.filter(pk__in=[d.pk for d in queued]).update(status="sent")
    server.handler.received.clear()
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", server.port) as smtp:
        for message in messages:
            smtp.send_message(message)
    bare = time.perf_counter() - start
    assert len(server.handler.received) == args.invoices

    env = {
        **os.environ,
        "DATABASE_URL": database,
        "VAR_DIR": os.environ["VAR_DIR"],
        "EMAIL_URL": server.url,
    }

    def through_outbox(invoices, workers):
        """From the send (the user's action) to the last message accepted, with the
        workers already running, as `make run` keeps one: their start-up (importing
        the app) is not sending time."""
        from django.db import connection

        server.handler.received.clear()
        connection.close()
        log_path = OUT / "outbox-worker.log"
        log_path.write_text("")
        log = log_path.open("a")
        procs = [
            subprocess.Popen(
                [sys.executable, "manage.py", "outbox_worker", "--interval", "0.05"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
            for _ in range(workers)
        ]
        while log_path.read_text().count(" started") < workers:
            time.sleep(0.05)
        time.sleep(0.5)  # each has done its first (empty) pass
        start = time.perf_counter()
        send_invoices(invoices, by=user, subject="Facture {number}", message="Bonjour")
        pending = EmailDelivery.objects.filter(invoice__in=invoices).exclude(status="sent")
        while len(server.handler.received) < len(invoices):  # the server's count: no queries
            time.sleep(0.01)
        while pending.exists():  # and the last outcome recorded
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
        sent = EmailDelivery.objects.filter(invoice__in=invoices, status="sent").count()
        assert sent == len(invoices) == len(server.handler.received), (sent, len(invoices))
        return elapsed

    one = through_outbox(batches[1], 1)
    two = through_outbox(batches[2], 2)
    server.stop()
    n = args.invoices
    table(
        f"{n} invoices e-mailed with their PDFs to a local SMTP server",
        ["path", "seconds", "messages/s", "vs bare loop"],
        [
            ["bare smtplib loop, one connection", f"{bare:.1f}", f"{n / bare:.0f}", "1.00x"],
            ["outbox, 1 worker", f"{one:.1f}", f"{n / one:.0f}", f"{bare / one:.2f}x"],
            ["outbox, 2 workers", f"{two:.1f}", f"{n / two:.0f}", f"{bare / two:.2f}x"],
        ],
    )
    print(f"\n{machine()}, SQLite")
    figure("bulk e-mail, 1 worker / bare loop", bare / one, 0.6)
    figure("bulk e-mail, 2 workers / 1 worker", one / two, 1.0)


if __name__ == "__main__":
    main()
