"""Every page's form and upload parameters at their extremes: dates at the ends of the
calendar, ids larger than any database key, NUL and other control characters,
digits of other scripts. Whatever comes in, the answer is never a 5xx."""

import datetime
import inspect
import os

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import MaxValueValidator
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facturier.web import fields as web_fields
from tests.stepup import confirmed

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

EXTREME_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\x1b[31m", "\x7f", "١٢", "²", "𝟙𝟚", " 7", "+7", "-1"]),
)
EXTREME_DATE = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.sampled_from(["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "2026-02-30"]),
    EXTREME_TEXT,
)
EXTREME_ID = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["99999999999999999999", "9223372036854775807", "9223372036854775808"]),
    EXTREME_TEXT,
)


@pytest.fixture
def browser(client, alice):
    alice.user_permissions.add(
        Permission.objects.get(codename="manage_templates"),
        Permission.objects.get(codename="process_invoices"),
    )
    client.force_login(type(alice).objects.get(pk=alice.pk))
    confirmed(client, alice)  # the direct-debit settings are checked, not refused
    return client


def test_the_spread_form_refuses_the_last_day_of_the_calendar(browser, client_entity):
    response = browser.post(
        reverse("billing:spread"),
        {
            "client": client_entity.pk,
            "work_code": "CONS",
            "total": "8",
            "start": "9999-12-31",
            "end": "9999-12-31",
        },
    )
    # Refused with its reason on the week's page, never a 500.
    assert response.status_code == 422
    assert 'class="flash' in response.content.decode()


def test_the_wip_filter_refuses_an_id_no_key_can_hold(browser):
    response = browser.get(reverse("billing:wip"), {"staff": "99999999999999999999"})
    assert response.status_code == 200


def test_a_nul_byte_in_a_form_is_refused_before_any_view(browser):
    response = browser.post(reverse("settings:work"), {"form": "code", "name": "a\x00b"})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()


@FUZZ
@given(
    client_id=EXTREME_ID,
    start=EXTREME_DATE,
    end=EXTREME_DATE,
    total=EXTREME_TEXT,
    description=EXTREME_TEXT,
    weekday=EXTREME_TEXT,
)
def test_the_time_forms(browser, client_entity, client_id, start, end, total, description, weekday):
    spread = {
        "client": client_id,
        "work_code": "CONS",
        "total": total,
        "start": start,
        "end": end,
        "weekdays": [weekday],
        "description": description,
    }
    assert browser.post(reverse("billing:spread"), spread).status_code < 500
    entry = {"client": client_id, "day": start, "hours": total, "description": description}
    assert browser.post(reverse("billing:time"), entry).status_code < 500
    assert browser.get(reverse("billing:week"), {"week": start}).status_code < 500


@FUZZ
@given(
    staff=EXTREME_ID, work_code=EXTREME_ID, start=EXTREME_DATE, end=EXTREME_DATE, day=EXTREME_DATE
)
def test_the_wip_and_aging_filters(browser, staff, work_code, start, end, day):
    params = {"staff": staff, "work_code": work_code, "start": start, "end": end}
    assert browser.get(reverse("billing:wip"), params).status_code < 500
    assert browser.get(reverse("billing:realization"), params).status_code < 500
    assert browser.get(reverse("billing:aging"), {"day": day, "client": staff}).status_code < 500
    invoices = {"client": staff, "issued_after": start, "issued_before": end}
    assert browser.get(reverse("billing:invoices"), invoices).status_code < 500


@FUZZ
@given(
    cells=st.lists(st.lists(EXTREME_TEXT, min_size=1, max_size=5), min_size=1, max_size=3),
    staff=EXTREME_ID,
    work_code=EXTREME_ID,
    effective_from=EXTREME_DATE,
)
def test_the_work_settings_and_their_upload(browser, cells, staff, work_code, effective_from):
    from facturier.work.models import WorkCode

    csv = "\n".join(",".join(row) for row in cells).encode("utf-8", "surrogatepass")
    upload = SimpleUploadedFile("codes.csv", csv)
    response = browser.post(reverse("settings:work"), {"form": "import", "file": upload})
    assert response.status_code < 500
    rate = {
        "form": "rate",
        "staff": staff,
        "work_code": work_code,
        "rate": "100",
        "effective_from": effective_from,
    }
    assert browser.post(reverse("settings:work"), rate).status_code < 500
    # Nothing stored holds a control character.
    for code in WorkCode.objects.values_list("code", "name"):
        assert not any(ord(c) < 32 for text in code for c in text)


def _web_forms():
    import importlib
    import pkgutil

    from django.urls import get_resolver

    import facturier.web

    assert get_resolver().url_patterns  # the root URLconf registers the converters first
    for module_info in pkgutil.iter_modules(facturier.web.__path__):
        module = importlib.import_module(f"facturier.web.{module_info.name}")
        for _name, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, forms.BaseForm) and form.__module__ == module.__name__:
                yield form


def _validators(form, name):
    """The form field's validators, and its model field's (a ModelForm runs both)."""
    validators = list(form.base_fields[name].validators)
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        validators += model._meta.get_field(name).validators
    return validators


def test_every_date_and_id_of_the_pages_forms_is_bounded():
    """Dates are DayFields (no overflow in date arithmetic); integers are ids a 64-bit
    key holds or numbers with a maximum."""
    unbounded = []
    for form in _web_forms():
        for name, field in getattr(form, "base_fields", {}).items():
            if isinstance(field, forms.DateField) and not isinstance(field, web_fields.DayField):
                unbounded.append(f"{form.__name__}.{name}")
            if (
                isinstance(field, forms.IntegerField)
                and not isinstance(
                    field, (web_fields.IdField, forms.FloatField, forms.DecimalField)
                )
                and not any(isinstance(v, MaxValueValidator) for v in _validators(form, name))
            ):
                unbounded.append(f"{form.__name__}.{name}")
    assert unbounded == []


@pytest.mark.postgres
def test_a_nul_byte_in_an_uploaded_work_codes_file_is_refused_on_postgresql(browser):
    from facturier.work.models import WorkCode

    upload = SimpleUploadedFile("codes.csv", b"Code,Type,Name\nAU\x00D,B,Audit\x00\n")
    response = browser.post(reverse("settings:work"), {"form": "import", "file": upload})
    assert response.status_code == 422 or response.status_code == 200
    assert "control characters" in response.content.decode()
    assert not WorkCode.objects.exists()


@pytest.mark.postgres
@FUZZ
@given(text=st.sampled_from(["\x00", "a\x00b", "x\x00"]), field=st.sampled_from(["name", "code"]))
def test_a_nul_byte_in_any_upload_cell_is_refused_on_postgresql(browser, text, field):
    name, code = (text, "AUD") if field == "name" else ("Audit", text)
    upload = SimpleUploadedFile("codes.csv", f"{code},B,{name}\n".encode())
    response = browser.post(reverse("settings:work"), {"form": "import", "file": upload})
    assert response.status_code < 500


@FUZZ
@given(
    q=EXTREME_TEXT,
    owner=EXTREME_ID,
    country=EXTREME_TEXT,
    einvoice=EXTREME_TEXT,
    page=EXTREME_ID,
    name=EXTREME_TEXT,
    company_id=EXTREME_TEXT,
    vat=EXTREME_TEXT,
    terms=EXTREME_ID,
    cell=EXTREME_TEXT,
)
def test_the_clients_pages(
    browser, client_entity, q, owner, country, einvoice, page, name, company_id, vat, terms, cell
):
    filters = {"q": q, "owner": owner, "country": country, "einvoice": einvoice, "page": page}
    assert browser.get(reverse("billing:clients"), {**filters, "owing": "1"}).status_code < 500
    details = {
        "name": name,
        "company_id": company_id,
        "vat_number": vat,
        "payment_terms_days": terms,
        "country": country,
        "language": "fr",
        "currency": "EUR",
    }
    assert browser.post(reverse("billing:client_new"), details).status_code < 500
    edit = reverse("billing:client_edit", args=[client_entity.pk])
    assert browser.post(edit, details).status_code < 500
    contact = {"name": name, "email": cell, "phone": cell, "language": country}
    new_contact = reverse("billing:contact_new", args=[client_entity.pk])
    assert browser.post(new_contact, contact).status_code < 500
    data = f"nom;siren;tva;délai de paiement\n{name};{company_id};{vat};{terms}\n{cell}\n"
    upload = SimpleUploadedFile("clients.csv", data.encode("utf-8", "surrogatepass"))
    response = browser.post(reverse("billing:clients_import"), {"file": upload, "dry_run": "1"})
    assert response.status_code < 500


@FUZZ
@given(text=EXTREME_TEXT, day=EXTREME_DATE, number=EXTREME_ID)
def test_the_direct_debit_pages(browser, client_entity, finalized, text, day, number):
    mandate = {
        "reference": text,
        "debtor_name": text,
        "iban": text,
        "bic": text,
        "signed_on": day,
        "signed_at": text,
        "scheme": text,
    }
    new = reverse("billing:mandate_new", args=[client_entity.pk])
    assert browser.post(new, mandate).status_code < 500
    assert (
        browser.post(
            new,
            {
                **mandate,
                "reference": "R1",
                "iban": "FR7630006000011234567890189",
                "bic": "AGRIFRPP",
                "debtor_name": "D",
                "scheme": "CORE",
            },
        ).status_code
        < 500
    )
    status = reverse("billing:mandate_status", args=[1])
    assert browser.post(status, {"status": text, "signed_on": day}).status_code < 500
    debit = reverse("billing:invoice_debit", args=[finalized.pk])
    assert browser.post(debit, {"amount": text}).status_code < 500
    settings_page = reverse("settings:sepa")
    sepa = {"creditor_id": text, "iban": text, "bic": text, "prenotification_days": number}
    assert browser.post(settings_page, {**sepa, "scheme": text}).status_code < 500
