"""Invoices deposited with an approved platform through the outbox, against the local
platform (a real HTTP server in the test process): deposits, retries, refusals, a lost
answer, and the lifecycle statuses the buyer's side sends back. Requests and answers
are checked against the Flow Service's schemas (AFNOR XP Z12-013 annex A)."""

import datetime
from decimal import Decimal

import httpx
import jsonschema
import pytest
from django.utils import timezone

from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import cdar, sandbox
from facturier.einvoicing.flows import Credentials, FlowService, PlatformError
from facturier.einvoicing.models import LifecycleStatus, Transmission
from facturier.einvoicing.platform_outbox import deposit
from facturier.invoicing import actions
from facturier.invoicing.selectors import invoice_events

pytestmark = pytest.mark.django_db(transaction=False)

# The Flow Service's schemas (annex A, 1.1.0), as far as this client uses them.
RULES = {
    "type": "string",
    "enum": ["B2B", "B2BInt", "B2C", "OutOfScope", "ArchiveOnly", "NotApplicable"],
}
FLOW_INFO = {
    "type": "object",
    "required": ["flowSyntax"],
    "properties": {
        "trackingId": {"type": "string", "maxLength": 36},
        "name": {"type": "string", "maxLength": 255},
        "processingRule": RULES,
        "flowSyntax": {"enum": ["CII", "UBL", "Factur-X", "CDAR", "FRR"]},
        "flowProfile": {"enum": ["Basic", "CIUS", "Extended-CTC-FR"]},
        "sha256": {"type": "string", "pattern": "^[a-f0-9]{64}$"},
    },
    "additionalProperties": False,
}
ACK = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"enum": ["Pending", "Ok", "Error"]},
        "details": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["level", "item", "reasonCode", "reasonMessage"],
            },
        },
    },
}
FLOW = {
    "type": "object",
    "properties": {
        "submittedAt": {"type": "string", "format": "date-time"},
        "updatedAt": {"type": "string", "format": "date-time"},
        "flowId": {"type": "string", "maxLength": 36},
        "trackingId": {"type": ["string", "null"], "maxLength": 36},
        "flowType": {"type": "string"},
        "processingRule": RULES,
        "flowDirection": {"enum": ["In", "Out"]},
        "flowSyntax": {"enum": ["CII", "UBL", "Factur-X", "CDAR", "FRR"]},
        "acknowledgement": ACK,
    },
}
SEARCH_PARAMS = {
    "type": "object",
    "required": ["where"],
    "properties": {
        "limit": {"type": "integer", "maximum": 100},
        "where": {"type": "object", "minProperties": 1},
    },
}


def finalize(alice, client, **fields):
    by = type(alice).objects.get(pk=alice.pk)
    draft = actions.create_draft(
        by=by, client=client, lines=[{"description": "Audit", "unit_price": "1000"}], **fields
    )
    return actions.finalize_invoice(draft, by=by)


def later(minutes: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_a_french_business_invoice_is_deposited_once_and_its_statuses_come_back(
    platform, french_business, alice, template, api
):
    invoice = finalize(alice, french_business)
    (transmission,) = Transmission.objects.filter(invoice=invoice)
    assert transmission.processing_rule == "B2B" and transmission.status == "queued"
    assert deposit(transmission.pk) == "sent"
    (request,) = [r for r in platform.requests if r["operation"] == "createFlow"]
    jsonschema.validate(request["flowInfo"], FLOW_INFO)
    assert request["flowInfo"]["trackingId"] == transmission.tracking_id
    assert request["flowInfo"]["flowSyntax"] == "Factur-X"
    (flow,) = platform.deposits()
    assert flow.content == actions.pdf_for(invoice)  # the frozen Factur-X PDF itself
    transmission.refresh_from_db()
    assert transmission.flow_id == flow.flow_id and transmission.deposited_at
    assert invoice_events(invoice=invoice).filter(action="invoice.platform_deposited").exists()

    einvoicing.collect_statuses()
    codes = list(
        LifecycleStatus.objects.filter(transmission=transmission).values_list("code", flat=True)
    )
    assert codes == ["200", "202", "204", "205"]  # Déposée, Reçue, Prise en charge, Approuvée
    einvoicing.collect_statuses()  # read again: nothing twice
    assert LifecycleStatus.objects.filter(transmission=transmission).count() == 4
    transmission.refresh_from_db()
    assert transmission.last_status == "205"
    (listed,) = api.get(f"/api/v1/invoices/{invoice.pk}/transmissions/").json()["results"]
    assert listed["flow_id"] == flow.flow_id and listed["status"] == "sent"
    assert [s["code"] for s in listed["statuses"]] == ["200", "202", "204", "205"]


def test_a_503_then_success_sends_one_flow(platform, french_business, alice, template):
    platform.script("503", "429", "accept")
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    assert deposit(transmission.pk) == "retrying"
    transmission.refresh_from_db()
    assert "503" in transmission.last_error
    assert deposit(transmission.pk, now=later(5)) == "retrying"
    assert deposit(transmission.pk, now=later(30)) == "sent"
    assert len(platform.deposits()) == 1


def test_a_lost_answer_is_found_again_not_sent_twice(platform, french_business, alice, template):
    platform.script("lose")
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    assert deposit(transmission.pk) == "retrying"  # the platform kept it; we never heard
    assert deposit(transmission.pk, now=later(5)) == "sent"
    (flow,) = platform.deposits()
    transmission.refresh_from_db()
    assert transmission.flow_id == flow.flow_id


def test_a_rejected_invoice_shows_the_platforms_reason(platform, french_business, alice, template):
    platform.script("reject:Adresse électronique de l'acheteur inconnue de l'annuaire")
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    assert deposit(transmission.pk) == "sent"
    einvoicing.collect_statuses()
    (status,) = LifecycleStatus.objects.filter(transmission=transmission)
    assert status.code == "213" and "inconnue de l'annuaire" in status.reason


def test_a_refusal_by_the_buyer(platform, french_business, alice, template):
    platform.buyer = "refuse:Prestation non commandée"
    invoice = finalize(alice, french_business)
    deposit(Transmission.objects.get(invoice=invoice).pk)
    einvoicing.collect_statuses()
    last = LifecycleStatus.objects.filter(transmission__invoice=invoice).last()
    assert (last.code, last.reason) == ("210", "Prestation non commandée")


def test_a_final_refusal_keeps_the_platforms_words(platform, french_business, alice, template):
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    Transmission.objects.filter(pk=transmission.pk).update(tracking_id="")  # a broken row
    platform.script("accept")
    # An empty file is refused for good (422), not retried.
    from facturier.einvoicing import platform_outbox

    original = platform_outbox.PlatformFlows._file
    platform_outbox.PlatformFlows._file = lambda self, item: (
        "x.pdf",
        b"",
        "application/pdf",
        "Factur-X",
    )
    try:
        assert deposit(transmission.pk) == "failed"
    finally:
        platform_outbox.PlatformFlows._file = original
    transmission.refresh_from_db()
    assert "EmptyFlow" in transmission.last_error
    assert invoice_events(invoice=invoice).filter(action="invoice.platform_failed").exists()
    # The history and the status line read in the reader's language, the platform's
    # own words kept: the worker wrote the reason before anyone read it.
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    page = browser.get(f"/billing/invoices/{invoice.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert "La plateforme a répondu 422" in text and "EmptyFlow" in text
    assert "The platform answered" not in text
    assert "non déposée : La plateforme" in text


def test_a_platform_that_cannot_be_reached_holds_the_deposit_uncounted(
    firm, french_business, alice, template
):
    einvoicing_platform = einvoicing.Platform.objects.create(
        firm=firm,
        base_url="http://127.0.0.1:9",  # nothing listens there
        token_url="http://127.0.0.1:9/oauth/token",
        client_id="x",
        client_secret="y",
    )
    assert einvoicing_platform.pk
    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    statuses = [deposit(transmission.pk, now=later(200 * attempt)) for attempt in range(8)]
    assert statuses == ["retrying"] * 8  # the firm's settings, not the invoice: held
    transmission.refresh_from_db()
    assert transmission.attempts == 0
    assert "Held: the server said" in transmission.last_error


def test_only_business_sales_go_to_the_platform(platform, firm, make_client, alice, template):
    person = make_client(firm, "M. Martin")  # no SIREN: a private person
    person.owners.add(alice)
    abroad = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE136695976")
    abroad.owners.add(alice)
    finalize(alice, person)
    invoice = finalize(alice, abroad)
    (transmission,) = Transmission.objects.all()
    assert transmission.invoice == invoice and transmission.processing_rule == "B2BInt"


def test_a_paid_invoice_of_services_sends_encaissee(
    platform, french_business, alice, staff, template
):
    from facturier.receivables import actions as receivables

    invoice = finalize(alice, french_business)
    deposit(Transmission.objects.get(invoice=invoice).pk)
    carol = staff["processor_only"]
    receivables.record_payment(
        by=carol,
        client=french_business.pk,
        amount=invoice.total_gross,
        received_on=timezone.localdate(),
        method="transfer",
        allocations=[{"invoice": invoice.pk}],
    )
    paid = Transmission.objects.get(invoice=invoice, document="paid")
    assert deposit(paid.pk) == "sent"
    cdar_flow = [f for f in platform.deposits() if f.info["flowSyntax"] == "CDAR"]
    assert len(cdar_flow) == 1
    (status,) = cdar.parse(cdar_flow[0].content)
    assert (status.invoice_number, status.code) == (invoice.number, "212")
    # What the French rules ask of it (BR-FR-CDV-14, CL-01): the amount collected per
    # VAT rate, in a regulated (B2B) process, sent to the buyer's electronic address.
    content = cdar_flow[0].content
    assert b"<ram:ID>REGULATED</ram:ID>" in content
    assert b"<ram:TypeCode>MEN</ram:TypeCode>" in content
    amount = f'<ram:ValueAmount currencyID="EUR">{invoice.total_gross}</ram:ValueAmount>'
    assert amount.encode() in content
    assert b'<ram:URIID schemeID="0225">552100554</ram:URIID>' in content
    einvoicing.collect_statuses()  # not queued twice
    assert Transmission.objects.filter(invoice=invoice, document="paid").count() == 1


def _pay(staff, client, invoice, amount):
    from facturier.receivables import actions as receivables

    return receivables.record_payment(
        by=staff["processor_only"],
        client=client.pk,
        amount=amount,
        received_on=timezone.localdate(),
        allocations=[{"invoice": invoice.pk, "amount": amount}],
    )


def _collected(invoice):
    return list(Transmission.objects.filter(invoice=invoice, document="paid").order_by("pk"))


def test_each_amount_received_is_reported_with_its_share_per_vat_rate(
    platform, french_business, alice, staff, template
):
    by = type(alice).objects.get(pk=alice.pk)
    draft = actions.create_draft(
        by=by,
        client=french_business,
        lines=[
            {"description": "Audit", "unit_price": "1000", "vat_rate": "20"},
            {"description": "Formation", "unit_price": "500", "vat_rate": "10"},
        ],
    )
    invoice = actions.finalize_invoice(draft, by=by)
    assert invoice.total_gross == Decimal("1750.00")
    deposit(Transmission.objects.get(invoice=invoice, document="invoice").pk)

    _pay(staff, french_business, invoice, Decimal("700.00"))
    (first,) = _collected(invoice)
    assert first.collected["amount"] == "700.00"
    # 1,200 of 1,750 at 20 %, 550 at 10 %: 480.00 and the rest.
    assert first.collected["by_rate"] == [["480.00", "20.00"], ["220.00", "10.00"]]
    assert deposit(first.pk) == "sent"

    _pay(staff, french_business, invoice, Decimal("1050.00"))
    first_again, second = _collected(invoice)
    assert first_again.pk == first.pk and second.collected["amount"] == "1050.00"
    assert deposit(second.pk) == "sent"

    messages = [f.content for f in platform.deposits() if f.info["flowSyntax"] == "CDAR"]
    assert len(messages) == 2
    assert [cdar.parse(m)[0].code for m in messages] == ["212", "212"]
    assert b'<ram:ValueAmount currencyID="EUR">480.00</ram:ValueAmount>' in messages[0]
    assert b'<ram:ValueAmount currencyID="EUR">220.00</ram:ValueAmount>' in messages[0]
    assert b'<ram:ValueAmount currencyID="EUR">720.00</ram:ValueAmount>' in messages[1]
    assert b'<ram:ValueAmount currencyID="EUR">330.00</ram:ValueAmount>' in messages[1]


@pytest.mark.parametrize("currency", ["USD", "GBP"])
def test_money_received_on_a_foreign_currency_invoice_says_its_currency(
    platform, firm, make_client, alice, staff, template, currency
):
    client = make_client(
        firm, "Dupont SA", company_id="552100554", vat_number="FR96552100554", currency=currency
    )
    client.owners.add(alice)
    invoice = finalize(alice, client, exchange_rate="0.918400")
    assert invoice.currency == currency
    deposit(Transmission.objects.get(invoice=invoice, document="invoice").pk)
    _pay(staff, client, invoice, Decimal("600.00"))
    (paid,) = _collected(invoice)
    assert deposit(paid.pk) == "sent"
    (message,) = [f.content for f in platform.deposits() if f.info["flowSyntax"] == "CDAR"]
    assert cdar.schema_errors(message) == []
    amount = f'<ram:ValueAmount currencyID="{currency}">600.00</ram:ValueAmount>'
    assert amount.encode() in message


def test_a_credit_note_to_zero_reports_no_money_received(
    platform, french_business, alice, staff, template
):
    invoice = finalize(alice, french_business)
    deposit(Transmission.objects.get(invoice=invoice, document="invoice").pk)
    by = type(alice).objects.get(pk=alice.pk)
    credit_note = actions.create_credit_note(invoice, by=by)
    actions.finalize_invoice(credit_note, by=by)
    invoice.refresh_from_db()
    assert invoice.balance == 0
    einvoicing.collect_statuses()
    assert _collected(invoice) == []


def test_a_payment_removed_before_its_status_went_withdraws_it(
    platform, french_business, alice, staff, template
):
    from facturier.receivables import actions as receivables

    invoice = finalize(alice, french_business)
    payment = _pay(staff, french_business, invoice, Decimal("500.00"))
    # The invoice's own deposit has not gone yet: its payment status waits for it.
    (waiting,) = _collected(invoice)
    assert deposit(waiting.pk) == "retrying"
    waiting.refresh_from_db()
    assert "not deposited" in waiting.last_error
    other = _pay(staff, french_business, invoice, Decimal("100.00"))
    receivables.delete_payment(other, by=staff["processor_only"])
    assert _collected(invoice) == [waiting]  # the never-tried one is gone, the tried one stays
    receivables.delete_payment(payment, by=staff["processor_only"])
    assert _collected(invoice) == [waiting]


def test_no_payment_status_for_e_reported_sales_or_vat_on_debits(
    platform, firm, make_client, french_business, alice, staff, template
):
    abroad = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE136695976")
    abroad.owners.add(alice)
    international = finalize(alice, abroad)
    _pay(staff, abroad, international, international.total_gross)
    assert _collected(international) == []

    firm.vat_on_debits = True
    firm.save(update_fields=["vat_on_debits"])
    invoice = finalize(alice, french_business)
    _pay(staff, french_business, invoice, invoice.total_gross)
    assert _collected(invoice) == []


def test_the_platforms_answers_match_the_schemas(platform_server):
    url, state = platform_server
    service = FlowService(
        Credentials(url, f"{url}/oauth/token", sandbox.CLIENT_ID, sandbox.CLIENT_SECRET)
    )
    info = {"trackingId": "t-1", "name": "a.xml", "flowSyntax": "CDAR", "processingRule": "B2B"}
    jsonschema.validate(info, FLOW_INFO)
    created = service.submit(info, "a.xml", b"<x/>", "application/xml")
    assert created["flowId"] and created["trackingId"] == "t-1"
    jsonschema.validate(service.flow(created["flowId"]), FLOW)
    params = {"limit": 100, "where": {"trackingId": "t-1"}}
    jsonschema.validate(params, SEARCH_PARAMS)
    (found,) = service.search(params["where"])
    jsonschema.validate(found, FLOW)
    with pytest.raises(PlatformError) as duplicate:
        service.submit(info, "a.xml", b"<x/>", "application/xml")
    assert duplicate.value.code == "AlreadyExistingFlow" and not duplicate.value.retryable
    bad = FlowService(Credentials(url, f"{url}/oauth/token", "nobody", "wrong"))
    with pytest.raises(PlatformError) as refused:
        bad.search({"trackingId": "t-1"})
    assert refused.value.status == 401
    assert httpx.get(f"{url}/v1/healthcheck").status_code == 200


def test_the_send_dialog_calls_the_email_a_courtesy_copy(
    client, platform, french_business, alice, template
):
    invoice = finalize(alice, french_business)
    client.force_login(alice)
    page = client.get("/billing/invoices/send/", {"ids": [invoice.pk]}).content.decode()
    assert "courtesy copy" in page and invoice.number in page
    Transmission.objects.filter(invoice=invoice).update(status="failed")
    page = client.get("/billing/invoices/send/", {"ids": [invoice.pk]}).content.decode()
    assert "courtesy copy" not in page  # not carried: the e-mail is the invoice


def test_the_courtesy_note_agrees_with_the_number_of_invoices(
    client, platform, french_business, alice, template
):
    first, second = finalize(alice, french_business), finalize(alice, french_business)
    client.force_login(alice)
    ids = {"ids": [first.pk, second.pk]}
    page = client.get("/billing/invoices/send/", ids, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "transmises aux clients" in page and "copies de courtoisie" in page
    page = client.get("/billing/invoices/send/", {"ids": [first.pk]}, HTTP_ACCEPT_LANGUAGE="fr")
    assert "transmise au client" in page.content.decode()


def test_refused_credentials_hold_the_deposits_and_they_go_once_fixed(
    platform, french_business, alice, template, monkeypatch
):
    from facturier.einvoicing import platform_outbox

    invoice = finalize(alice, french_business)
    transmission = Transmission.objects.get(invoice=invoice)
    real = platform_outbox.FLOWS.send

    def wrong_secret(item, transport):
        raise PlatformError(401, "invalid_client", "Bad client credentials")

    monkeypatch.setattr(platform_outbox.FLOWS, "send", wrong_secret)
    for minutes in range(0, 600, 5):  # far more passes than the attempts allowed
        deposit(transmission.pk, now=later(minutes))
    transmission.refresh_from_db()
    assert transmission.status == "retrying" and transmission.attempts == 0
    assert "Held: the server said" in transmission.last_error
    assert "401 invalid_client Bad client credentials" in transmission.last_error
    monkeypatch.setattr(platform_outbox.FLOWS, "send", real)  # the secret is fixed
    assert deposit(transmission.pk, now=later(700)) == "sent"
    assert len(platform.deposits()) == 1
