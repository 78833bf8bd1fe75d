"""Recording payments in the Billing app, as a person does it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions
from facturier.receivables.models import Payment

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


@pytest.fixture
def issued(make_draft, alice, template):
    def make(**fields):
        return invoicing.finalize_invoice(make_draft(lines=[LINE], **fields), by=alice)

    return make


def login(client, user):
    client.force_login(user)
    return client


def record(client, ids, **fields):
    data = {
        "ids": [str(i) for i in ids],
        "received_on": datetime.date.today().isoformat(),
        "method": "transfer",
        "reference": "",
        "next": reverse("billing:invoices"),
        **fields,
    }
    return client.post(reverse("billing:payment_new"), data)


def test_more_actions_record_a_payment_then_the_list_shows_the_balance(client, alice, issued):
    invoice = issued()
    login(client, alice)
    response = client.post(
        reverse("billing:bulk"),
        {"ids": [invoice.pk], "action": "pay", "next": reverse("billing:invoices")},
    )
    form_url = response["Location"]
    page = client.get(form_url).content.decode()
    assert 'name="amount"' in page and 'value="120.00"' in page  # what is owed, proposed

    response = record(client, [invoice.pk], amount="50,00".replace(",", "."))
    assert response.status_code == 302
    listing = client.get(reverse("billing:invoices")).content.decode()
    assert "€70.00" in listing  # the Balance column
    partly = client.get(reverse("billing:invoices") + "?payment=partly_paid").content.decode()
    assert f'name="ids" value="{invoice.pk}"' in partly
    unpaid = client.get(reverse("billing:invoices") + "?payment=unpaid").content.decode()
    assert f'name="ids" value="{invoice.pk}"' not in unpaid

    record(client, [invoice.pk], amount="70.00")
    assert Invoice.objects.get(pk=invoice.pk).status == "closed"
    listing = client.get(reverse("billing:invoices")).content.decode()
    assert f'name="ids" value="{invoice.pk}"' not in listing  # left the default list
    detail = client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert "paid in full" in detail


def test_amounts_typed_by_hand_are_checked_and_nothing_is_recorded(client, alice, issued):
    a, b = issued(payment_terms_days=10), issued(payment_terms_days=40)
    login(client, alice)
    response = record(client, [a.pk, b.pk], amount="100.00", **{f"alloc-{a.pk}": "130"})
    assert response.status_code == 422
    assert "has 120.00 left to pay" in response.content.decode()
    assert not Payment.objects.exists()

    response = record(client, [a.pk, b.pk], amount="100.00", **{f"alloc-{b.pk}": "100"})
    assert response.status_code == 302
    assert Invoice.objects.get(pk=b.pk).balance == Decimal("20.00")
    assert Invoice.objects.get(pk=a.pk).balance == Decimal("120.00")


def test_a_french_user_types_amounts_with_a_space_between_thousands(
    client, alice, make_draft, template
):
    """1 100,50 as the page itself writes amounts: read, not refused as not a number, in
    the payment's amount, the amount put on an invoice and a refund of the credit left."""
    draft = make_draft(lines=[{**LINE, "unit_price": "1000.00"}])
    invoice = invoicing.finalize_invoice(draft, by=alice)  # 1 200,00 € to pay
    login(client, alice)
    client.cookies.load({"django_language": "fr"})
    response = record(
        client, [invoice.pk], amount="1 100,50", **{f"alloc-{invoice.pk}": "1 000,50"}
    )
    assert response.status_code == 302, response.content.decode()
    payment = Payment.objects.get()
    assert payment.amount == Decimal("1100.50") and payment.unallocated == Decimal("100.00")
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("199.50")
    client.post(
        reverse("billing:payment_change", args=[payment.pk]),
        {"action": "refund", "amount": "50,25"},
    )
    assert Payment.objects.get().unallocated == Decimal("49.75")


def test_selected_invoices_of_two_clients_are_refused(client, alice, issued, make_client, firm):
    other = make_client(firm, name="Autre SARL")
    other.owners.add(alice)
    a = issued()
    b = issued(client=other)
    login(client, alice)
    response = client.get(reverse("billing:payment_new"), {"ids": [a.pk, b.pk]}, follow=True)
    assert (
        "un seul client" in response.content.decode() or "one client" in response.content.decode()
    )
    assert not Payment.objects.exists()


def test_users_without_processing_are_refused_and_told_why(client, staff, issued):
    invoice = issued()
    for name in ("owner_only", "neither"):
        login(client, staff[name])
        response = record(client, [invoice.pk], amount="10.00")
        assert response.status_code == 302
        assert not Payment.objects.exists()


def test_the_payment_page_removes_and_deletes(client, alice, issued):
    invoice = issued()
    payment = actions.record_payment(
        by=alice, client=invoice.client_id, amount="150.00", received_on=datetime.date.today()
    )
    login(client, alice)
    page = client.get(reverse("billing:payment", args=[payment.pk])).content.decode()
    assert invoice.number in page and "€30.00" in page  # allocated, and the credit left
    client.post(
        reverse("billing:payment_change", args=[payment.pk]),
        {"action": "unallocate", "allocation": payment.allocations.get().pk},
    )
    assert Invoice.objects.get(pk=invoice.pk).status == "finalized"
    assert Payment.objects.get(pk=payment.pk).unallocated == Decimal("150.00")
    client.post(reverse("billing:payment_change", args=[payment.pk]), {"action": "allocate"})
    assert Invoice.objects.get(pk=invoice.pk).balance == 0
    client.post(reverse("billing:payment_change", args=[payment.pk]), {"action": "delete"})
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("120.00")


def test_the_client_account_shows_what_is_owed_and_the_credit(client, alice, issued):
    invoice = issued()
    actions.record_payment(
        by=alice,
        client=invoice.client_id,
        amount="20.00",
        received_on=datetime.date.today(),
        allocations=[],
    )
    login(client, alice)
    page = client.get(reverse("billing:client_account", args=[invoice.client_id]))
    text = page.content.decode()
    assert invoice.number in text and "€120.00" in text and "€20.00" in text


def test_another_firms_payment_and_client_are_not_found(
    client, alice, issued, make_firm, make_user
):
    invoice = issued()
    payment = actions.record_payment(
        by=alice, client=invoice.client_id, amount="20.00", received_on=datetime.date.today()
    )
    outsider = make_user("eve", make_firm("Autre"), processing=True)
    login(client, outsider)
    assert client.get(reverse("billing:payment", args=[payment.pk])).status_code == 404
    assert (
        client.get(reverse("billing:client_account", args=[invoice.client_id])).status_code == 404
    )
    response = client.post(
        reverse("billing:payment_change", args=[payment.pk]), {"action": "delete"}
    )
    assert response.status_code == 404
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_import_a_statement_review_and_confirm_in_the_app(client, alice, issued):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from facturier.receivables.models import StatementLine
    from tests.receivables.camt import entry, statement

    first, second = issued(), issued()
    login(client, alice)
    data = statement(
        entry("120.00", text=f"VIR {first.number}", bank_ref="A"),
        entry("120.00", text="VIR SANS REFERENCE", bank_ref="B"),
        entry("99.99", text="INCONNU", bank_ref="C"),
    )
    response = client.post(
        reverse("billing:statement_import"),
        {
            "file": SimpleUploadedFile("nov.xml", data),
            "format": "auto",
            "date": "Date",
            "amount": "Amount",
            "label": "Label",
            "date_format": "%d/%m/%Y",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"]).content.decode()
    lines = {line.line: line for line in StatementLine.objects.all()}
    assert lines[1].invoice_id == first.pk and lines[2].invoice_id == second.pk
    assert lines[3].invoice_id is None
    assert f'value="{first.number}"' in page and f'value="{second.number}"' in page

    # A number that is not owed is refused, naming the line; nothing is recorded.
    review = response["Location"]
    posted = client.post(
        review,
        {
            f"do-{lines[1].pk}": "record",
            f"invoice-{lines[1].pk}": first.number,
            f"do-{lines[3].pk}": "record",
            f"invoice-{lines[3].pk}": "NOPE-1",
        },
    )
    assert posted.status_code == 422 and "Line 3" in posted.content.decode()
    assert not Payment.objects.exists()

    # Recording with no number typed asks for one, rather than naming a blank number.
    posted = client.post(review, {f"do-{lines[3].pk}": "record", f"invoice-{lines[3].pk}": " "})
    assert posted.status_code == 422
    assert "Line 3: type the number of the invoice" in posted.content.decode()
    assert "numbered “”" not in posted.content.decode()

    posted = client.post(
        review,
        {
            f"do-{lines[1].pk}": "record",
            f"invoice-{lines[1].pk}": first.number,
            f"do-{lines[2].pk}": "record",
            f"invoice-{lines[2].pk}": second.number,
            f"do-{lines[3].pk}": "ignore",
        },
    )
    assert posted.status_code == 302
    assert Payment.objects.count() == 2
    assert set(Invoice.objects.values_list("status", flat=True)) == {"closed"}
    assert StatementLine.objects.get(pk=lines[3].pk).state == "ignored"


def test_the_invoice_page_opens_and_removes_each_allocation(client, alice, staff, issued):
    invoice = issued()
    payment = actions.record_payment(
        by=alice, client=invoice.client_id, amount="50.00", received_on=datetime.date.today()
    )
    page_url = reverse("billing:invoice", args=[invoice.pk])
    allocation = payment.allocations.get()
    remove_url = reverse("billing:allocation_remove", args=[allocation.pk])
    login(client, staff["owner_only"])  # sees the invoice, may not record payments
    page = client.get(page_url).content.decode()
    assert reverse("billing:payment", args=[payment.pk]) in page
    assert remove_url not in page
    client.post(remove_url, {"next": page_url})
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("70.00")
    login(client, alice)
    page = client.get(page_url).content.decode()
    assert f'action="{remove_url}"' in page
    assert client.post(remove_url, {"next": page_url})["Location"] == page_url
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("120.00")
    assert Payment.objects.get(pk=payment.pk).unallocated == Decimal("50.00")
    # A credit note's allocation is taken back the same way.
    other = issued()
    actions.allocate_payment(payment, by=alice, allocations=[{"invoice": other.pk}])
    credit_note = invoicing.finalize_invoice(
        invoicing.create_credit_note(other, by=alice), by=alice
    )
    # The credit note covers the 70.00 the payment left on `other`; 50.00 are left over.
    actions.allocate_credit_note(credit_note, by=alice, allocations=[{"invoice": invoice.pk}])
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("70.00")
    credit = Invoice.objects.get(pk=invoice.pk).allocations.get()
    assert credit.credit_note_id == credit_note.pk
    page = client.get(page_url).content.decode()
    assert credit_note.number in page
    credit_remove = reverse("billing:allocation_remove", args=[credit.pk])
    assert f'action="{credit_remove}"' in page
    client.post(credit_remove, {"next": page_url})
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("120.00")
    assert Invoice.objects.get(pk=credit_note.pk).credit_left == Decimal("50.00")
    assert client.post(credit_remove).status_code == 302  # gone: said, not a 500


def test_what_the_client_owes_is_read_under_its_account(client, alice, issued):
    """Left to pay and the credit sit under the Account heading with the payments, not
    between the contacts and it; adding a contact is a button of its own paragraph."""
    invoice = issued()
    login(client, alice)
    page = client.get(reverse("billing:client_account", args=[invoice.client_id]))
    text = page.content.decode()
    account = text.index("<h2>Account</h2>")
    assert account < text.index("data-owed") < text.index("Record a payment")
    assert text.index('id="details"') < text.index("Add a contact") < account
    assert re.search(r'<p><a href="[^"]*/contacts/new/" role="button"', text)
