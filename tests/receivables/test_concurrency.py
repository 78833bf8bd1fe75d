"""Paying the same invoice, or spending the same credit, at the same moment (PostgreSQL,
real row locks): the sums never go past what is owed or what was paid."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from facturier.core.errors import DomainError
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions
from facturier.receivables.models import Allocation, Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


def run_together(calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except DomainError as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def allocated(invoice) -> Decimal:
    return Allocation.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or Decimal(0)


def test_two_people_paying_one_invoice_never_pay_it_twice(make_draft, alice, template):
    for _round in range(5):
        invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)  # 120.00
        outcomes = run_together(
            [
                lambda invoice=invoice: actions.record_payment(
                    by=alice,
                    client=invoice.client_id,
                    amount="100.00",
                    received_on=datetime.date.today(),
                    allocations=[{"invoice": invoice.pk, "amount": "100.00"}],
                )
                for _ in range(3)
            ]
        )
        assert sum(isinstance(o, Payment) for o in outcomes) == 1, outcomes
        refused = [o for o in outcomes if isinstance(o, DomainError)]
        assert all(o.codes["allocations.0.amount"] == ["exceeds_balance"] for o in refused)
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert invoice.balance == Decimal("20.00") == invoice.total_gross - allocated(invoice)
        assert Payment.objects.filter(allocations__invoice=invoice).count() == 1


def test_automatic_allocations_racing_share_the_balance(make_draft, alice, template):
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)  # 120.00
    run_together(
        [
            lambda: actions.record_payment(
                by=alice,
                client=invoice.client_id,
                amount="50.00",
                received_on=datetime.date.today(),
            )
            for _ in range(4)
        ]
    )
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.balance == 0 and invoice.status == "closed"
    assert allocated(invoice) == Decimal("120.00")
    # 200.00 received, 120.00 owed: the rest is credit, to the cent.
    credit = Payment.objects.aggregate(s=Sum("unallocated"))["s"]
    assert credit == Decimal("80.00")


def test_one_credit_spent_twice_at_once_is_spent_once(make_draft, alice, template):
    payment = actions.record_payment(
        by=alice,
        client=alice.firm.clients.get().pk,
        amount="120.00",
        received_on=datetime.date.today(),
    )
    first, second = (
        invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice) for _ in range(2)
    )
    outcomes = run_together(
        [
            lambda invoice=invoice: actions.allocate_payment(
                payment.pk, by=alice, allocations=[{"invoice": invoice.pk, "amount": "120.00"}]
            )
            for invoice in (first, second)
        ]
    )
    assert sum(isinstance(o, Payment) for o in outcomes) == 1, outcomes
    assert Payment.objects.get(pk=payment.pk).unallocated == 0
    assert allocated(first) + allocated(second) == Decimal("120.00")


def test_concurrent_api_requests_paying_one_invoice(make_draft, alice, template, api_for):
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)  # 120.00
    clients = [api_for(alice) for _ in range(4)]
    body = {
        "client": invoice.client_id,
        "received_on": datetime.date.today().isoformat(),
        "amount": "100.00",
        "allocations": [{"invoice": invoice.pk, "amount": "100.00"}],
    }
    statuses = run_together(
        [
            lambda api=api: api.post("/api/v1/payments/", body, format="json").status_code
            for api in clients
        ]
    )
    assert sorted(statuses) == [201, 422, 422, 422], statuses  # never a 500, never twice
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("20.00")


def test_two_workers_passing_at_once_remind_each_invoice_once(make_draft, alice, template, firm):
    from facturier.receivables.actions.reminders import send_due_reminders, send_reminder_now
    from facturier.receivables.models import Letter, ReminderItem, ReminderLevel

    ReminderLevel.objects.create(
        firm=firm, days=7, subject_fr="R", message_fr="m", subject_en="R", message_en="m"
    )
    ReminderLevel.objects.create(
        firm=firm, days=30, subject_fr="R2", message_fr="m", subject_en="R2", message_en="m"
    )
    when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=45)
    invoices = [
        invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice, now=when) for _ in range(5)
    ]
    today = datetime.date.today()
    for _round in range(2):
        run_together(
            [lambda: send_due_reminders(today=today), lambda: send_due_reminders(today=today)]
            + [lambda: send_reminder_now([invoices[0].pk], by=alice, today=today)]
        )
    for invoice in invoices:
        days = list(
            ReminderItem.objects.filter(invoice=invoice).values_list("level__days", flat=True)
        )
        assert len(days) == len(set(days)), days  # never a level twice
    assert not Letter.objects.filter(items__isnull=True).exists()  # no letter left empty


def test_two_files_sharing_transactions_imported_at_once_keep_each_once(alice):
    from facturier.receivables.models import BankStatement, StatementLine
    from tests.receivables.camt import document, ntry, tx

    shared = ntry("100.00", tx(end_to_end="SHARED", text="FACT A"), bank_ref="X")
    files = [
        document(shared, ntry(f"{n}.00", tx(end_to_end=f"OWN-{n}"), bank_ref="X"))
        for n in (1, 2, 3)
    ]
    outcomes = run_together(
        [lambda data=data: actions.import_bank_statement(by=alice, data=data) for data in files]
    )
    assert all(isinstance(outcome, BankStatement) for outcome in outcomes), outcomes
    assert StatementLine.objects.filter(reference="SHARED").count() == 1
    assert StatementLine.objects.count() == 4
    assert sorted(len(statement.duplicates) for statement in outcomes) == [0, 1, 1]
