"""What the receivables pages do, in the API: reminders, statements of account, exports,
the aging, the overview and realization; each with the pages' rights."""

import datetime
import io
import json

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver

from facturier.invoicing import actions as invoicing
from facturier.receivables.models import Letter, ReminderPause

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "1000.00", "vat_rate": "20"}
TODAY = datetime.date.today()
LEVEL = {
    "days": 7,
    "subject_fr": "Relance : {number}",
    "message_fr": "Bonjour,\n\n{total} restent dus.\n\n{firm}",
    "subject_en": "Reminder: {number}",
    "message_en": "Hello,\n\n{total} is still due.\n\n{firm}",
}


@pytest.fixture
def overdue(make_draft, alice, template):
    """An invoice of 1,200.00 due sixty days ago."""
    when = datetime.datetime.combine(TODAY - datetime.timedelta(days=90), datetime.time(10))
    return invoicing.finalize_invoice(
        make_draft(lines=[LINE]), by=alice, now=when.replace(tzinfo=datetime.UTC)
    )


@pytest.fixture
def manager(alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(alice).objects.get(pk=alice.pk)


def test_the_aging_overview_and_realization_read_as_the_pages(api, api_for, staff, overdue):
    aging = api.get("/api/v1/aging/").json()
    (row,) = aging["rows"]
    assert (row["client"], row["currency"], row["total"]) == (overdue.client_id, "EUR", "1200.00")
    assert row["buckets"][2] == "1200.00" and len(aging["buckets"]) == 5
    before = api.get(f"/api/v1/aging/?day={(TODAY - datetime.timedelta(days=120)).isoformat()}")
    assert before.json()["rows"] == []
    assert api_for(staff["neither"]).get("/api/v1/aging/").json()["rows"] == []

    csv = api.get("/api/v1/aging/file/?format=csv", HTTP_ACCEPT_LANGUAGE="fr")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Client,Devise,") and lines[1].endswith(",1200.00")
    xlsx = api.get("/api/v1/aging/file/?format=xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1][0] == "Client" and rows[2][-1] == 1200
    assert api.get("/api/v1/aging/file/?format=pdf").status_code in (400, 422)
    assert api.get("/api/v1/aging/file/").status_code in (400, 422)
    hidden = api_for(staff["neither"]).get("/api/v1/aging/file/?format=csv")
    assert len(hidden.content.decode("utf-8-sig").splitlines()) == 1  # the header only

    overview = api.get("/api/v1/overview/").json()
    assert overview["outstanding"] == [{"currency": "EUR", "amount": "1200.00"}]
    assert overview["overdue"] == [{"currency": "EUR", "amount": "1200.00"}]
    assert len(overview["months"]) == 12

    realization = api.get("/api/v1/realization/")
    assert realization.status_code == 200 and set(realization.json()["groups"])
    odd = api.get("/api/v1/realization/?start=2026-12-31&end=2026-01-01")
    assert odd.status_code in (400, 422) and "end" in odd.json()["errors"]


def test_a_statement_of_account_as_a_pdf_and_by_e_mail(api, api_for, staff, overdue):
    url = f"/api/v1/clients/{overdue.client_id}/statement-of-account/"
    pdf = api.get(f"{url}?start={TODAY.replace(month=1, day=1) - datetime.timedelta(days=400)}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api_for(staff["neither"]).get(url).status_code == 404
    sent = api.post(f"{url}send/", {}, format="json")
    assert sent.status_code == 202, sent.json()
    assert Letter.objects.get(pk=sent.json()["id"]).purpose == "statement"
    letter_pdf = api.get(f"/api/v1/letters/{sent.json()['id']}/pdf/")
    assert letter_pdf.content.startswith(b"%PDF")
    refused = api_for(staff["owner_only"]).post(f"{url}send/", {}, format="json")
    assert refused.status_code == 403


def test_reminder_levels_a_reminder_now_and_a_pause(api, api_for, staff, manager, overdue):
    assert (
        api_for(staff["processor_only"])
        .put("/api/v1/reminder-levels/", {"levels": [LEVEL]}, format="json")
        .status_code
        == 403
    )
    levels = api_for(manager).put("/api/v1/reminder-levels/", {"levels": [LEVEL]}, format="json")
    assert levels.status_code == 200 and levels.json()["levels"][0]["days"] == 7

    paused = api.post(
        "/api/v1/reminder-pauses/", {"invoice": overdue.pk, "paused": True}, format="json"
    )
    assert paused.status_code == 204 and ReminderPause.objects.filter(invoice=overdue).exists()
    refused = api.post("/api/v1/reminders/send/", {"invoices": [overdue.pk]}, format="json")
    assert refused.status_code == 422 and refused.json()["codes"]["invoices"] == ["not_remindable"]
    api.post("/api/v1/reminder-pauses/", {"invoice": overdue.pk, "paused": False}, format="json")
    sent = api.post(
        "/api/v1/reminders/send/",
        {"invoices": [overdue.pk], "to": ["compta@client.example"]},
        format="json",
    )
    assert sent.status_code == 202, sent.json()
    assert sent.json()["to"] == ["compta@client.example"]
    both = api.post(
        "/api/v1/reminder-pauses/",
        {"invoice": overdue.pk, "client": overdue.client_id, "paused": True},
        format="json",
    )
    assert both.status_code in (400, 422)


def test_exports_as_csv_and_the_fec(api, api_for, staff, overdue):
    start = (TODAY - datetime.timedelta(days=365)).isoformat()
    documents = api.get(f"/api/v1/exports/?kind=documents&start={start}")
    assert documents.status_code == 200
    assert overdue.number in documents.content.decode("utf-8-sig")
    assert api.get("/api/v1/exports/?kind=secrets").status_code in (400, 422)
    fec = api.get(f"/api/v1/exports/fec/?year={overdue.issue_date.year}")
    assert fec.status_code == 200
    assert overdue.number in b"".join(fec.streaming_content).decode("iso-8859-15")
    assert (
        api_for(staff["owner_only"]).get(f"/api/v1/exports/fec/?year={TODAY.year}").status_code
        == 403
    )


# Each page that changes or reads something a person asks for, and the API operation that
# does the same; a page only a browser needs says why.
PAGE_TO_API = {
    "billing:invoices": "/api/v1/invoices/",
    "billing:bulk": "/api/v1/invoices/{id}/close/ and reopen/ (one call each)",
    "billing:send": "/api/v1/invoices/send/",
    "billing:delivery_file": "the .eml of the file backend: a page for the demo's mailbox",
    "billing:outbox": "/api/v1/outbox/",
    "billing:outbox_retry": "/api/v1/outbox/retry/",
    "billing:delivery_retry": "/api/v1/deliveries/{id}/retry/",
    "billing:letter_retry": "/api/v1/letters/{id}/retry/",
    "billing:transmission_retry": "/api/v1/transmissions/{id}/retry/",
    "billing:invoice_new": "/api/v1/invoices/",
    "billing:totals": "a live preview while typing: the API answers the totals on save",
    "billing:invoice": "/api/v1/invoices/{id}/",
    "billing:invoice_edit": "/api/v1/invoices/{id}/",
    "billing:invoice_delete": "/api/v1/invoices/{id}/",
    "billing:invoice_finalize": "/api/v1/invoices/{id}/finalize/",
    "billing:invoice_pdf": "/api/v1/invoices/{id}/pdf/",
    "billing:invoice_xml": "/api/v1/invoices/{id}/xml/",
    "billing:invoice_ubl": "/api/v1/invoices/{id}/xml/",
    "billing:invoice_pdf_view": "/api/v1/invoices/{id}/pdf/",
    "billing:credit_note_new": "/api/v1/invoices/{id}/credit-notes/",
    "billing:deposit_new": "/api/v1/clients/{id}/deposit-invoice/",
    "billing:invoice_deduct_deposits": "/api/v1/invoices/{id}/deduct-deposits/",
    "billing:invoice_release_deposits": "/api/v1/invoices/{id}/release-deposits/",
    "billing:engagement_deposit": "/api/v1/engagements/{id}/deposit-invoice/",
    "billing:credit_note_credit": "/api/v1/credit-notes/{id}/allocate/",
    "billing:aging": "/api/v1/aging/ and /api/v1/aging/file/",
    "billing:overview": "/api/v1/overview/",
    "billing:time": "/api/v1/entries/",
    "billing:entry_delete": "/api/v1/entries/{id}/",
    "billing:entry_edit": "/api/v1/entries/{id}/",
    "billing:entries_import": "/api/v1/entries/",
    "billing:week": "/api/v1/entries/",
    "billing:spread": "/api/v1/entries/",
    "billing:wip": "/api/v1/wip/",
    "billing:realization": "/api/v1/realization/",
    "billing:wip_client": "/api/v1/clients/{id}/invoice-from-wip/",
    "billing:exports": "/api/v1/exports/",
    "billing:remind": "/api/v1/reminders/send/",
    "billing:reminder_pause": "/api/v1/reminder-pauses/",
    "billing:entry_receipt": "/api/v1/entries/{id}/receipt/",
    "billing:letter_pdf": "/api/v1/letters/{id}/pdf/",
    "billing:statement_pdf": "/api/v1/clients/{id}/statement-of-account/",
    "billing:payments": "/api/v1/payments/",
    "billing:payment_new": "/api/v1/payments/",
    "billing:payment": "/api/v1/payments/{id}/",
    "billing:payment_change": "/api/v1/payments/{id}/",
    "billing:allocation_remove": "/api/v1/allocations/{id}/",
    "billing:client_account": "/api/v1/clients/{id}/account/",
    "billing:client_directory": "/api/v1/clients/{id}/directory/",
    "billing:statement_import": "/api/v1/statements/",
    "billing:statement": "/api/v1/statements/{id}/",
    "billing:clients": "/api/v1/clients/",
    "billing:client_new": "/api/v1/clients/",
    "billing:client_edit": "/api/v1/clients/{id}/",
    "billing:client_delete": "/api/v1/clients/{id}/",
    "billing:client_archive": "/api/v1/clients/{id}/archive/",
    "billing:client_merge": "/api/v1/clients/{id}/merge/",
    "billing:client_portal_invite": "/api/v1/portal/accesses/",
    "billing:client_portal_revoke": "/api/v1/portal/accesses/{id}/revoke/",
    "billing:clients_import": "/api/v1/clients/import/",
    "billing:contact_new": "/api/v1/clients/{id}/contacts/",
    "billing:contact_edit": "/api/v1/contacts/{id}/",
    "billing:contact_remove": "/api/v1/contacts/{id}/",
    "billing:contact_personal_data": "/api/v1/contacts/{id}/personal-data/",
    "billing:contact_erase": "/api/v1/contacts/{id}/erase/",
    "billing:engagements": "/api/v1/engagements/",
    "billing:engagement_new": "/api/v1/engagements/",
    "billing:engagement": "/api/v1/engagements/{id}/ and preview/",
    "billing:engagement_edit": "/api/v1/engagements/{id}/",
    "billing:engagement_end": "/api/v1/engagements/{id}/end/",
    "billing:engagements_run": "/api/v1/engagements/run/",
    "billing:engagement_pause": "/api/v1/engagements/{id}/pause/",
    "billing:engagement_resume": "/api/v1/engagements/{id}/resume/",
    "billing:engagement_retry": "/api/v1/engagements/run/ (engagement)",
    "billing:engagement_letter_new": "/api/v1/engagements/{id}/letters/",
    "billing:engagement_letter_pdf": "/api/v1/engagement-letters/{id}/pdf/",
    "billing:engagement_letter_signed": "/api/v1/engagement-letters/{id}/signed/",
    "billing:engagement_letter_send": "/api/v1/engagement-letters/{id}/send/",
    "billing:engagement_letter_sign": "/api/v1/engagement-letters/{id}/signed/",
    "billing:engagement_letter_activate": "/api/v1/engagement-letters/{id}/activate/",
    "billing:budget_add": "/api/v1/engagements/{id}/budgets/",
    "billing:budget_remove": "/api/v1/budgets/{id}/",
    "billing:budgets": "/api/v1/budget-report/",
    "billing:ereporting": "/api/v1/ereports/",
    "billing:ereport_file": "/api/v1/ereports/{id}/file/",
    "billing:ereport_correct": "/api/v1/ereports/{id}/correct/",
    "billing:ereport_retry": "/api/v1/ereports/{id}/retry/",
    "billing:mandate_new": "/api/v1/clients/{id}/mandates/",
    "billing:mandate_status": "/api/v1/mandates/{id}/status/",
    "billing:invoice_debit": "/api/v1/invoices/{id}/debit/",
    "billing:debits": "/api/v1/debits/ and /api/v1/debit-batches/",
    "billing:debits_export": "/api/v1/debit-batches/",
    "billing:debit_batch_file": "/api/v1/debit-batches/{id}/file/",
}


def _names(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(pattern, f"{pattern.namespace}:" if pattern.namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_every_billing_page_has_its_api_operation(client):
    pages = {name for name in _names(get_resolver()) if name.startswith("billing:")}
    missing = sorted(pages - set(PAGE_TO_API))
    assert not missing, f"pages with no API operation named here: {missing}"
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = json.loads(schema.content)["paths"]
    for page, operation in PAGE_TO_API.items():
        path = operation.split(" ")[0]
        if path.startswith("/api/"):
            assert path in paths, f"{page}: {path} is not in the API"
