"""Arbitrary text, numbers and dates thrown at every form and every list filter.

Whatever comes in: never a 5xx, and nothing is stored that does not render as a
PDF and, once finalized, export as CII and UBL.
"""

import datetime
import os

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facturier.core.errors import DomainError
from facturier.firms.models import Firm
from facturier.invoicing import actions, documents
from facturier.invoicing.models import Invoice, InvoiceTemplate

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXT = st.text(max_size=120)
NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    st.sampled_from(["1e999999", "-0", "0,5", "1 000,50", "١٢", "²", "9" * 40]),
    TEXT,
)
DATE = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "31/12/2026"]),
    TEXT,
)
ID = st.one_of(st.integers(min_value=-5, max_value=2**70).map(str), NUMBER)


@pytest.fixture
def browser(client, alice):
    from django.contrib.auth.models import Permission

    from tests.stepup import confirmed

    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    client.force_login(type(alice).objects.get(pk=alice.pk))
    confirmed(client, alice)  # so that the platform's credentials are checked, not refused
    return client


def assert_everything_stored_renders_and_exports(alice):
    for invoice in Invoice.objects.filter(status="draft"):
        actions.pdf_for(invoice)  # a draft's preview
        try:
            final = actions.finalize_invoice(invoice, by=alice)
        except DomainError:
            continue  # refused with a reason: nothing stored
        assert actions.pdf_for(final).startswith(b"%PDF")
        if final.snapshot.get("einvoice"):
            documents.build_cii(final.snapshot)
            documents.build_ubl(final.snapshot)
    for template in InvoiceTemplate.objects.all():
        snapshot = actions.templates.sample_snapshot(template.firm, template)
        documents.render_preview_png(snapshot, ppi=10)


LINE = st.fixed_dictionaries(
    {
        "line_description": TEXT,
        "line_quantity": NUMBER,
        "line_unit_price": NUMBER,
        "line_vat_rate": NUMBER,
        "line_discount_percent": NUMBER,
    }
)


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "issue_date": DATE,
            "payment_terms_days": NUMBER,
            "currency": st.one_of(TEXT, st.sampled_from(["EUR", "usd", "XYZ", "€€€"])),
            "notes": TEXT,
            "template": ID,
            "operation": st.one_of(TEXT, st.sampled_from(["goods", "services", "mixed"])),
            "supply_date": DATE,
            "period_start": DATE,
            "period_end": DATE,
            "purchase_order": TEXT,
            "delivery_address": TEXT,
            "delivery_city": TEXT,
            "delivery_country": TEXT,
            "discount_percent": NUMBER,
            "exchange_rate": NUMBER,
        }
    ),
    lines=st.lists(LINE, max_size=3),
    client_id=st.one_of(st.just("own"), ID),
)
def test_the_invoice_editor(browser, alice, client_entity, template, fields, lines, client_id):
    data = {**fields, "client": str(client_entity.pk) if client_id == "own" else client_id}
    for name in ("description", "quantity", "unit_price", "vat_rate", "discount_percent"):
        data[f"line_{name}"] = [line[f"line_{name}"] for line in lines]
    response = browser.post(reverse("billing:invoice_new"), data)
    assert response.status_code < 500
    totals = browser.post(reverse("billing:totals"), data)
    assert totals.status_code < 500
    assert_everything_stored_renders_and_exports(alice)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["status", "client", "issued_after", "issued_before", "q", "sort", "page"]),
        st.one_of(TEXT, NUMBER, DATE),
    )
)
def test_the_list_filters_in_the_app_and_the_api(browser, api, draft, params):
    assert browser.get(reverse("billing:invoices"), params).status_code < 500
    assert (
        browser.get(reverse("billing:invoices"), params, HTTP_HX_REQUEST="true").status_code < 500
    )
    assert api.get("/api/v1/invoices/", params).status_code < 500


@FUZZ
@given(
    subject=TEXT,
    message=TEXT,
    to=TEXT,
    cc=TEXT,
    ids=st.lists(ID, max_size=2),
    mode=st.sampled_from(["send", "resend", "", "x"]),
)
def test_the_email_dialog(browser, finalized, subject, message, to, cc, ids, mode):
    data = {
        "ids": ids or [str(finalized.pk)],
        "mode": mode,
        "subject": subject,
        "message": message,
        "to": to,
        "cc": cc,
    }
    assert browser.post(reverse("billing:send"), data).status_code < 500
    assert browser.get(reverse("billing:send"), data).status_code < 500


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "name": TEXT,
            "accent_color": st.one_of(TEXT, st.just("#1f4e79")),
            "font": st.one_of(TEXT, st.just("Inter")),
            "label_language": st.one_of(TEXT, st.sampled_from(["fr", "en", ""])),
            "paper": st.one_of(TEXT, st.just("a4")),
            "header_text": TEXT,
            "footer_text": TEXT,
        }
    )
)
def test_the_template_editor(browser, alice, template, fields):
    assert browser.post(reverse("settings:template_new"), fields).status_code < 500
    assert browser.post(reverse("settings:template_preview"), fields).status_code < 500
    assert_everything_stored_renders_and_exports(alice)


@FUZZ
@given(
    firm=st.fixed_dictionaries(
        {
            "firm-name": TEXT,
            "firm-country": TEXT,
            "firm-default_payment_terms_days": NUMBER,
            "firm-default_currency": TEXT,
            "firm-default_vat_rate": NUMBER,
            "firm-late_payment_penalty_rate": NUMBER,
            "firm-recovery_indemnity": NUMBER,
            "firm-siren": st.one_of(TEXT, st.sampled_from(["732829320", "732 829 321"])),
            "firm-vat_number": st.one_of(TEXT, st.sampled_from(["FR44732829320", "FR00"])),
            "firm-registration": TEXT,
            "firm-vat_exemption_reason": TEXT,
            "firm-vat_franchise": st.sampled_from(["", "on"]),
            "firm-vat_on_debits": st.sampled_from(["", "on"]),
            "firm-iban": TEXT,
            "firm-bic": TEXT,
        }
    ),
    numbering=st.fixed_dictionaries(
        {
            "numbering-prefix": TEXT,
            "numbering-padding_char": TEXT,
            "numbering-padding_length": NUMBER,
            "numbering-next_number": NUMBER,
            "credit_numbering-prefix": TEXT,
            "credit_numbering-padding_char": TEXT,
            "credit_numbering-padding_length": NUMBER,
            "credit_numbering-next_number": NUMBER,
        }
    ),
)
def test_the_firm_settings(browser, alice, draft, firm, numbering):
    before = Firm.objects.get(pk=alice.firm_id)
    response = browser.post(reverse("settings:firm"), {**firm, **numbering})
    assert response.status_code < 500
    if response.status_code == 302:  # accepted: the firm's invoices still issue
        assert_everything_stored_renders_and_exports(alice)
    assert Firm.objects.filter(pk=before.pk).exists()


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "base_url": st.one_of(TEXT, st.just("https://pa.example/flow-service")),
            "token_url": st.one_of(TEXT, st.just("https://pa.example/token")),
            "client_id": TEXT,
            "client_secret": TEXT,
            "route_b2b": st.sampled_from(["", "on"]),
        }
    )
)
def test_the_platform_settings(browser, alice, firm, fields):
    response = browser.post(reverse("settings:einvoicing"), fields)
    assert response.status_code in (200, 302, 400, 422)  # 400: control characters


@FUZZ
@given(name=TEXT, language=TEXT)
def test_tokens_and_language(browser, name, language):
    assert browser.post(reverse("settings:tokens"), {"name": name}).status_code < 500
    assert browser.post(reverse("set_language"), {"language": language}).status_code < 500


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {
            "client": st.one_of(st.integers(), TEXT),
            "issue_date": DATE,
            "currency": TEXT,
            "notes": TEXT,
            "lines": st.lists(
                st.fixed_dictionaries(
                    {"description": TEXT, "unit_price": NUMBER, "quantity": NUMBER}
                ),
                max_size=2,
            ),
        }
    )
)
def test_the_api_draft_endpoint(api, alice, client_entity, template, body):
    assert api.post("/api/v1/invoices/", body, format="json").status_code < 500
    assert_everything_stored_renders_and_exports(alice)


@FUZZ
@given(
    fields=st.fixed_dictionaries(
        {
            "received_on": DATE,
            "amount": NUMBER,
            "method": st.one_of(TEXT, st.sampled_from(["transfer", "cheque"])),
            "reference": TEXT,
            "allocation": st.one_of(st.just(""), NUMBER),
        }
    ),
)
def test_the_payment_form(browser, alice, finalized, fields):
    allocation = fields.pop("allocation")
    data = {**fields, "ids": [str(finalized.pk)], f"alloc-{finalized.pk}": allocation}
    response = browser.post(reverse("billing:payment_new"), data)
    assert response.status_code < 500
    invoice = Invoice.objects.get(pk=finalized.pk)
    assert 0 <= invoice.balance <= invoice.total_gross  # whatever came in, the sums hold


@FUZZ
@given(
    mode=st.one_of(TEXT, st.sampled_from(["total", "lines", "amounts"])),
    quantity=NUMBER,
    amount=NUMBER,
    ticked=st.booleans(),
)
def test_the_credit_note_form(browser, alice, finalized, mode, quantity, amount, ticked):
    data = {"mode": mode, "quantity-0": quantity, "amount-0": amount}
    if ticked:
        data["line-0"] = "1"
    response = browser.post(reverse("billing:credit_note_new", args=[finalized.pk]), data)
    assert response.status_code < 500
    notes = Invoice.objects.filter(corrects=finalized, kind="credit_note")
    # Drafts do not count until issued, but none is ever larger than the invoice.
    assert all(0 < note.total_gross <= finalized.total_gross for note in notes)
    for note in notes:
        actions.pdf_for(note)  # every draft credit note still renders


@FUZZ
@given(
    content=st.one_of(st.binary(max_size=400), TEXT.map(str.encode)),
    columns=st.fixed_dictionaries(
        {"date": TEXT, "amount": TEXT, "label": TEXT, "date_format": TEXT}
    ),
    fmt=st.sampled_from(["auto", "csv", "camt053", "pdf"]),
)
def test_the_statement_import(browser, alice, content, columns, fmt):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = browser.post(
        reverse("billing:statement_import"),
        {"file": SimpleUploadedFile("x.csv", content), "format": fmt, **columns},
    )
    assert response.status_code < 500


@pytest.fixture
def overdue_invoice(make_draft, alice, template, firm):
    from facturier.receivables.models import ReminderLevel

    when = datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC)
    invoice = actions.finalize_invoice(make_draft(), by=alice, now=when)
    ReminderLevel.objects.create(
        firm=firm, days=7, subject_fr="R {number}", message_fr="m", subject_en="R", message_en="m"
    )
    return invoice


@FUZZ
@given(
    subject=TEXT,
    message=TEXT,
    language=st.one_of(TEXT, st.sampled_from(["", "fr", "en"])),
    ids=st.lists(ID, max_size=2),
)
def test_the_reminder_dialog(browser, overdue_invoice, subject, message, language, ids):
    from facturier.receivables.models import Letter, ReminderItem

    data = {
        "ids": ids or [str(overdue_invoice.pk)],
        "subject": subject,
        "message": message,
        "language": language,
    }
    assert browser.get(reverse("billing:remind"), data).status_code < 500
    assert browser.post(reverse("billing:remind"), data).status_code < 500
    # A letter exists only with its reminded invoices (all or nothing).
    assert Letter.objects.count() == ReminderItem.objects.values("letter").distinct().count()


@FUZZ
@given(
    days=NUMBER,
    subject=TEXT,
    message=TEXT,
    account=TEXT,
    month=NUMBER,
    total=st.one_of(st.just("1"), NUMBER),
)
def test_the_reminder_settings(browser, firm, days, subject, message, account, month, total):
    data = {
        "levels-TOTAL_FORMS": total,
        "levels-INITIAL_FORMS": "0",
        "levels-0-days": days,
        "levels-0-subject_fr": subject,
        "levels-0-message_fr": message,
        "levels-0-subject_en": subject,
        "levels-0-message_en": message,
        "ledger-sales_journal": account,
        "ledger-bank_journal": "BQ",
        "ledger-client_account": account,
        "ledger-revenue_account": "706000",
        "ledger-vat_account": "445710",
        "ledger-bank_account": "512000",
        "ledger-fiscal_year_start": month,
    }
    assert browser.post(reverse("settings:reminders"), data).status_code < 500


@FUZZ
@given(
    kind=st.one_of(TEXT, st.sampled_from(["documents", "payments"])),
    start=DATE,
    end=DATE,
    year=NUMBER,
    day=DATE,
)
def test_the_exports_statement_and_aging(browser, finalized, kind, start, end, year, day):
    url = reverse("billing:exports")
    for params in ({"kind": kind, "start": start, "end": end}, {"year": year}):
        response = browser.get(url, params)
        assert response.status_code < 500
        if response.streaming:
            b"".join(response.streaming_content)
    statement = reverse("billing:statement_pdf", args=[finalized.client_id])
    assert browser.get(statement, {"start": start, "end": end}).status_code < 500
    aging = reverse("billing:aging")
    assert browser.get(aging, {"day": day, "format": "xlsx"}).status_code < 500
