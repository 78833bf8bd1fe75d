"""Deposit invoices (factures d'acompte): type 386, paid, then deducted by the invoice
that bills the work as a paid amount (BT-113) naming them (BG-3), valid against
EN 16931 and the French rules; what the client owes is the amount due."""

import datetime
import io
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader

from facturier.core.errors import Invalid
from facturier.invoicing import actions
from facturier.invoicing.lifecycle import PaymentState, payment_state
from facturier.invoicing.models import Invoice
from facturier.receivables import actions as receivables

from .test_french_einvoice import CII, UBL, assert_french

pytestmark = pytest.mark.django_db


def pdf_text(invoice) -> str:
    pages = PdfReader(io.BytesIO(actions.pdf_for(invoice))).pages
    text = " ".join(page.extract_text() for page in pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def codes(excinfo) -> dict:
    return excinfo.value.codes


def paid_deposit(alice, client, amount="1000.00"):
    deposit = actions.finalize_invoice(
        actions.draft_deposit(by=alice, client=client, amount=amount), by=alice
    )
    receivables.record_payment(
        by=alice,
        client=client,
        amount=str(deposit.total_gross),
        received_on=deposit.issue_date,
        allocations=[{"invoice": deposit.pk}],
    )
    deposit.refresh_from_db()
    assert deposit.balance == 0
    return deposit


def final_with(alice, client, deposit_ids=None, price="5000"):
    line = {
        "description": "Mission annuelle",
        "quantity": "1",
        "unit_price": price,
        "vat_rate": "20",
    }
    draft = actions.create_draft(by=alice, client=client, lines=[line])
    actions.deduct_deposits(draft, by=alice, deposits=deposit_ids)
    return actions.finalize_invoice(draft, by=alice)


def test_a_deposit_invoice_is_type_386_and_passes_the_rules(alice, client_entity, template):
    deposit = actions.finalize_invoice(
        actions.draft_deposit(by=alice, client=client_entity, amount="1000"), by=alice
    )
    assert deposit.deposit and deposit.total_gross == Decimal("1200.00")
    assert deposit.balance == Decimal("1200.00")
    cii, ubl = assert_french(deposit)
    tree = etree.fromstring(cii)
    assert tree.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=CII) == "386"
    assert tree.findtext(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=CII)
    assert (
        tree.findtext(
            ".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", namespaces=CII
        )
        == "S1"
    )
    assert etree.fromstring(ubl).findtext("cbc:InvoiceTypeCode", namespaces=UBL) == "386"
    text = pdf_text(deposit)
    assert "Facture d'acompte" in text or "Facture d’acompte" in text


def test_the_final_invoice_deducts_the_deposit_paid(alice, client_entity, template):
    deposit = paid_deposit(alice, client_entity)
    final = final_with(alice, client_entity)
    assert final.total_gross == Decimal("6000.00")
    assert final.prepaid == Decimal("1200.00")
    assert final.balance == final.amount_due == Decimal("4800.00")
    deposit.refresh_from_db()
    assert deposit.deducted_by_id == final.pk
    # Nothing paid on it yet: unpaid, not "partially paid" (the deposit is not a payment).
    assert payment_state(final, final.issue_date) == PaymentState.UNPAID
    cii, ubl = assert_french(final)
    tree = etree.fromstring(cii)
    summation = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert tree.findtext(summation + "GrandTotalAmount", namespaces=CII) == "6000.00"
    assert tree.findtext(summation + "TotalPrepaidAmount", namespaces=CII) == "1200.00"
    assert tree.findtext(summation + "DuePayableAmount", namespaces=CII) == "4800.00"
    assert (
        tree.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=CII)
        == deposit.number
    )
    assert (
        tree.findtext(
            ".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", namespaces=CII
        )
        == "S4"
    )
    u = etree.fromstring(ubl)
    assert u.findtext("cac:LegalMonetaryTotal/cbc:PrepaidAmount", namespaces=UBL) == "1200.00"
    assert u.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL) == "4800.00"
    assert (
        u.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=UBL)
        == deposit.number
    )
    # Never a negative line: the deduction is at document level.
    assert all(Decimal(line.unit_price) >= 0 and line.quantity > 0 for line in final.lines.all())
    text = pdf_text(final)
    assert f"Acompte versé – facture n° {deposit.number}" in text
    assert "Net à payer" in text and "4 800,00" in text


def test_two_deposits_are_both_named(alice, client_entity, template):
    first = paid_deposit(alice, client_entity, "500")
    second = paid_deposit(alice, client_entity, "300")
    final = final_with(alice, client_entity)
    assert final.prepaid == Decimal("960.00")
    cii, ubl = assert_french(final)
    numbers = [
        n.text
        for n in etree.fromstring(ubl).findall(
            "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", UBL
        )
    ]
    assert numbers == [first.number, second.number]


def test_a_deposit_not_paid_is_not_deducted(alice, client_entity, template):
    deposit = actions.finalize_invoice(
        actions.draft_deposit(by=alice, client=client_entity, amount="1000"), by=alice
    )
    line = {"description": "Mission", "quantity": "1", "unit_price": "5000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=client_entity, lines=[line])
    assert actions.deduct_deposits(draft, by=alice) == []  # none paid: none taken
    with pytest.raises(Invalid) as refused:
        actions.deduct_deposits(draft, by=alice, deposits=[deposit.pk])
    assert codes(refused) == {"deposits": ["deposit_not_paid"]}
    final = actions.finalize_invoice(draft, by=alice)
    assert final.prepaid == 0 and final.balance == final.total_gross


def test_a_payment_removed_before_finalizing_refuses_the_deduction(alice, client_entity, template):
    deposit = paid_deposit(alice, client_entity)
    line = {"description": "Mission", "quantity": "1", "unit_price": "5000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=client_entity, lines=[line])
    actions.deduct_deposits(draft, by=alice)
    Invoice.objects.filter(pk=deposit.pk).update(balance=deposit.total_gross)  # owes again
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(draft, by=alice)
    assert codes(refused) == {"deposits": ["deposit_not_paid"]}
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number is None


def test_deposits_larger_than_the_invoice_are_refused(alice, client_entity, template):
    paid_deposit(alice, client_entity, "1000")
    with pytest.raises(Invalid) as refused:
        final_with(alice, client_entity, price="500")
    assert codes(refused) == {"deposits": ["deposits_exceed"]}


def test_a_deposit_is_deducted_once(alice, client_entity, template):
    deposit = paid_deposit(alice, client_entity)
    final_with(alice, client_entity)
    line = {"description": "Mission", "quantity": "1", "unit_price": "5000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=client_entity, lines=[line])
    with pytest.raises(Invalid) as refused:
        actions.deduct_deposits(draft, by=alice, deposits=[deposit.pk])
    assert codes(refused) == {"deposits": ["already_deducted"]}
    assert actions.deduct_deposits(draft, by=alice) == []


def test_deleting_the_draft_frees_the_deposit(alice, client_entity, template):
    deposit = paid_deposit(alice, client_entity)
    line = {"description": "Mission", "quantity": "1", "unit_price": "5000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=client_entity, lines=[line])
    actions.deduct_deposits(draft, by=alice)
    actions.delete_draft(draft, by=alice)
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"amount": "0"}, "amount", "not_positive"),
        ({"amount": "-5"}, "amount", "negative"),
        ({}, "amount", "required"),
        ({"amount": "2000", "fees": "1000"}, "amount", "exceeds_fees"),
        ({"percent": "120", "fees": "1000"}, "percent", "invalid"),
        ({"percent": "30"}, "percent", "no_fees"),
        ({"percent": "30", "fees": "abc"}, "fees", "invalid"),
        ({"amount": "100", "fees": "0"}, "fees", "not_positive"),
        ({"amount": "100", "percent": "30", "fees": "1000"}, "percent", "amount_and_percent"),
        ({"amount": "100", "currency": "USD"}, "currency", "currency_mismatch"),
    ],
)
def test_bad_deposits_are_refused_and_nothing_is_saved(alice, client_entity, kwargs, field, code):
    before = Invoice.objects.count()
    with pytest.raises(Invalid) as refused:
        actions.draft_deposit(by=alice, client=client_entity, **kwargs)
    assert codes(refused) == {field: [code]}
    assert Invoice.objects.count() == before


def test_a_percentage_of_the_fees(alice, client_entity):
    deposit = actions.draft_deposit(by=alice, client=client_entity, percent="30", fees="12000")
    assert deposit.total_net == Decimal("3600.00")
    assert deposit.lines.get().description == "Acompte sur honoraires"


def test_fees_typed_the_french_way(alice, client_entity):
    deposit = actions.draft_deposit(by=alice, client=client_entity, percent="10", fees="1 200,50")
    assert deposit.total_net == Decimal("120.05")


def test_the_deposit_form_refuses_bad_fees_beside_the_field(client, alice, client_entity):
    from django.urls import reverse

    client.force_login(alice)
    url = reverse("billing:deposit_new")
    before = Invoice.objects.count()
    answer = client.post(url, {"client": client_entity.pk, "percent": "30", "fees": "abc"})
    assert answer.status_code == 422
    assert answer.context["errors"]["fees"] == ["Enter the fees as a number."]
    answer = client.post(url, {"client": client_entity.pk, "percent": "10", "fees": "1 200,50"})
    assert answer.status_code == 302
    assert Invoice.objects.count() == before + 1


def test_what_the_client_owes_is_the_amount_due(alice, client_entity, template):
    from facturier.receivables.aging import owed_on
    from facturier.receivables.selectors import account_statement

    deposit = paid_deposit(alice, client_entity)
    final = final_with(alice, client_entity)
    day = final.issue_date
    (owing,) = owed_on(user=alice, day=day, client_id=client_entity.pk)
    assert owing.pk == final.pk and owing.owed == Decimal("4800.00")
    statement = account_statement(
        client_entity, "EUR", day - datetime.timedelta(days=1), day, user=alice
    )
    # The deposit (1,200) and its payment, then the final invoice's 4,800: 4,800 owed.
    assert statement.closing == Decimal("4800.00")
    assert sorted(e.debit for e in statement.entries if e.debit) == [
        deposit.total_gross,
        Decimal("4800.00"),
    ]


def test_changing_the_drafts_client_frees_the_deposits(
    alice, firm, client_entity, make_client, template
):
    deposit = paid_deposit(alice, client_entity)
    line = {"description": "Mission", "quantity": "1", "unit_price": "5000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=client_entity, lines=[line])
    actions.deduct_deposits(draft, by=alice)
    other = make_client(firm, name="Autre SA")
    other.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)  # fresh: owns both
    actions.update_draft(draft, by=alice, client=other)
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None
    final = actions.finalize_invoice(draft, by=alice)
    assert final.client_id == other.pk
    assert final.prepaid == 0


def test_another_clients_deposit_is_refused(alice, firm, client_entity, make_client, template):
    from facturier.invoicing.actions.deductions import check_deductible

    deposit = paid_deposit(alice, client_entity)
    other = make_client(firm, name="Autre SA")
    other.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)  # fresh: owns both
    line = {"description": "Mission", "quantity": "1", "unit_price": "5000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=other, lines=[line])
    with pytest.raises(Invalid) as excinfo:
        check_deductible(deposit, draft)
    assert codes(excinfo) == {"deposits": ["other_client"]}


def test_a_deposit_an_issued_invoice_deducts_is_not_credited(alice, client_entity, template):
    from facturier.core.errors import DepositDeducted
    from facturier.invoicing import permissions
    from facturier.web.availability import why_not

    deposit = paid_deposit(alice, client_entity)
    line = {"description": "Mission", "quantity": "1", "unit_price": "5000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=client_entity, lines=[line])
    actions.deduct_deposits(draft, by=alice)
    deposit.refresh_from_db()
    assert permissions.refusal("credit", alice, deposit) is None  # the draft may still let go
    final = actions.finalize_invoice(draft, by=alice)
    deposit.refresh_from_db()
    with pytest.raises(DepositDeducted) as excinfo:
        actions.create_credit_note(deposit, by=alice)
    assert final.number in str(excinfo.value)
    assert excinfo.value.code == "deposit_deducted"
    assert not Invoice.objects.filter(corrects=deposit).exists()
    hint = why_not(alice, deposit)["credit"]
    assert hint == "Deducted by an issued invoice: credit that invoice instead."


def test_a_reminder_states_the_deposit_apart_from_the_payments(alice, client_entity, template):
    from facturier.receivables import letters
    from facturier.receivables.actions.reminders import _line

    paid_deposit(alice, client_entity, "1000")
    final = final_with(alice, client_entity)  # 6,000 with VAT, 1,200 prepaid, nothing paid
    day = final.due_date + datetime.timedelta(days=10)
    line = _line(final, day, firm=final.firm, client=client_entity)
    assert line.paid == 0 and line.prepaid == Decimal("1200.00")
    document = letters.reminder_document(
        firm=final.firm,
        client=client_entity,
        template=None,
        language="en",
        day=day,
        currency="EUR",
        lines=[line],
        rank=1,
    )
    row = dict(zip(document["columns"], document["rows"][0], strict=True))
    assert row["Deposits"] == "€1,200.00"
    assert row["Paid"] == "€0.00"
    assert row["Balance"] == "€4,800.00"


def french(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def small_draft(alice, client, price="100"):
    line = {"description": "Mission", "quantity": "1", "unit_price": price, "vat_rate": "20"}
    return actions.create_draft(by=alice, client=client, lines=[line])


def test_a_deposit_larger_than_the_draft_is_refused_when_deducted(alice, client_entity, template):
    from django.utils import translation

    from facturier.firms.models import AuditEvent

    deposit = paid_deposit(alice, client_entity, "300")  # 360.00 with VAT
    draft = small_draft(alice, client_entity)  # 120.00 with VAT
    events = AuditEvent.objects.count()
    for named in (None, [deposit.pk]):
        with translation.override("fr"), pytest.raises(Invalid) as refused:
            actions.deduct_deposits(draft, by=alice, deposits=named)
        assert codes(refused) == {"deposits": ["deposits_exceed"]}
        message = french(refused.value.errors["deposits"][0])
        assert "360,00 €" in message and "120,00 €" in message
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None  # nothing changed: free for a later invoice
    assert AuditEvent.objects.count() == events
    # A draft large enough deducts it.
    assert actions.deduct_deposits(small_draft(alice, client_entity, "300"), by=alice) == [deposit]


def test_a_draft_lowered_below_its_deposits_is_not_finalized(alice, client_entity, template):
    paid_deposit(alice, client_entity, "1000")
    draft = small_draft(alice, client_entity, "5000")
    actions.deduct_deposits(draft, by=alice)
    line = {"description": "Mission", "quantity": "1", "unit_price": "500", "vat_rate": "20"}
    actions.update_draft(draft, by=alice, lines=[line])
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(draft, by=alice)
    assert codes(refused) == {"deposits": ["deposits_exceed"]}


def test_deducting_again_keeps_the_deposits_deducted(alice, client_entity, template):
    first = paid_deposit(alice, client_entity, "100")
    draft = small_draft(alice, client_entity, "1000")
    assert actions.deduct_deposits(draft, by=alice) == [first]
    second = paid_deposit(alice, client_entity, "200")
    assert actions.deduct_deposits(draft, by=alice) == [first, second]
    assert actions.deduct_deposits(draft, by=alice) == [first, second]
    assert actions.finalize_invoice(draft, by=alice).prepaid == Decimal("360.00")


def test_a_draft_stops_deducting_its_deposits(alice, client_entity, template):
    from facturier.firms.models import AuditEvent
    from facturier.invoicing.history import describe

    deposit = paid_deposit(alice, client_entity)
    draft = small_draft(alice, client_entity, "5000")
    actions.deduct_deposits(draft, by=alice)
    assert actions.release_deposits(draft, by=alice) == [deposit]
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None
    (event,) = AuditEvent.objects.filter(
        target_id=str(draft.pk), action="invoice.deposits_released"
    )
    assert describe(event) == f"set to deduct no deposit — {deposit.number}"
    assert actions.release_deposits(draft, by=alice) == []  # none left: nothing to say
    final = actions.finalize_invoice(draft, by=alice)
    assert final.prepaid == 0 and final.balance == final.total_gross
    # Free again: the next invoice deducts it.
    assert actions.deduct_deposits(small_draft(alice, client_entity, "5000"), by=alice) == [deposit]


def test_the_amount_example_is_written_as_the_user_types_it(alice, client_entity):
    from django.utils import translation

    for language, example in (("fr", "1 200,00"), ("en", "1,200.00")):
        with translation.override(language), pytest.raises(Invalid) as refused:
            actions.draft_deposit(by=alice, client=client_entity, amount="douze")
        assert example in french(refused.value.errors["amount"][0])


@pytest.mark.parametrize("typed", ["vingt", "150", "-5", "5.5.5"])
def test_a_wrong_vat_rate_is_refused_under_its_own_name(alice, client_entity, typed):
    before = Invoice.objects.count()
    with pytest.raises(Invalid) as refused:
        actions.draft_deposit(by=alice, client=client_entity, amount="100", vat_rate=typed)
    assert list(codes(refused)) == ["vat_rate"]
    assert Invoice.objects.count() == before


def test_a_vat_rate_typed_the_french_way(alice, client_entity):
    deposit = actions.draft_deposit(by=alice, client=client_entity, amount="100", vat_rate="5,5")
    assert deposit.lines.get().vat_rate == Decimal("5.5")
    assert deposit.total_gross == Decimal("105.50")


def test_deducting_with_nothing_to_deduct_writes_no_history(alice, client_entity, template):
    """"Déduire les acomptes versés" with no deposit paid said so, yet the draft's history
    read "préparée pour déduire les acomptes versés": the history tells what changed."""
    from facturier.firms.models import AuditEvent

    draft = small_draft(alice, client_entity, "1000")
    deducting = AuditEvent.objects.filter(
        target_id=str(draft.pk), action="invoice.deposits_deducted"
    )
    assert actions.deduct_deposits(draft, by=alice) == []
    assert not deducting.exists()
    deposit = paid_deposit(alice, client_entity, "100")
    assert actions.deduct_deposits(draft, by=alice) == [deposit]
    assert deducting.count() == 1
    assert actions.deduct_deposits(draft, by=alice) == [deposit]  # already: nothing new
    assert deducting.count() == 1
