"""Time, WIP and a new invoice from WIP in the Billing app."""

import datetime
import html
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from facturier.invoicing.models import Invoice, InvoiceEntry
from facturier.work import actions
from facturier.work.models import Entry, StaffRate, WorkCode

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def keeper(alice, firm, client_entity):
    for codename in ("process_all_entries", "manage_templates"):
        alice.user_permissions.add(Permission.objects.get(codename=codename))
    alice = type(alice).objects.get(pk=alice.pk)
    WorkCode.objects.create(firm=firm, code="AUD", name="Audit", default_rate=100)
    return alice


def test_recording_time_from_the_page(client, keeper, client_entity):
    client.force_login(keeper)
    data = {
        "kind": "time",
        "client": client_entity.pk,
        "work_code": "AUD",
        "day": TODAY.isoformat(),
        "hours": "1:45",
        "description": "Révision",
        "billable": "on",
    }
    assert client.post(reverse("billing:time"), data).status_code == 302
    entry = Entry.objects.get()
    assert (entry.hours, entry.amount) == (Decimal("1.75"), Decimal("175.00"))
    bad = client.post(reverse("billing:time"), {**data, "hours": "99"})
    assert bad.status_code == 422 and Entry.objects.count() == 1
    assert "24" in bad.content.decode()


def test_the_wip_tab_and_a_draft_from_it(client, keeper, client_entity, template):
    entries = actions.record_entries(
        [
            {"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "2"},
            {"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "1"},
        ],
        by=keeper,
    )
    client.force_login(keeper)
    page = client.get(reverse("billing:wip")).content.decode()
    assert client_entity.name in page and "300" in page
    url = reverse("billing:wip_client", args=[client_entity.pk])
    assert client.get(url).status_code == 200
    refused = client.post(
        url,
        {
            "entries": [e.pk for e in entries],
            "bill": "final",
            "amount": "250.00",
            "allocation": "manual",
            f"billed-{entries[0].pk}": "200.00",
            f"billed-{entries[1].pk}": "40.00",
            "reason": "Remise",
            "grouping": "entry",
        },
    )
    assert refused.status_code == 422 and not Invoice.objects.exists()
    response = client.post(
        url,
        {
            "entries": [e.pk for e in entries],
            "bill": "final",
            "amount": "250.00",
            "allocation": "pro_rata",
            "reason": "Remise",
            "grouping": "work_code",
        },
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.total_net == Decimal("250.00")
    assert InvoiceEntry.objects.filter(invoice=invoice).count() == 2


def test_a_draft_from_one_entry_says_so_in_the_singular(client, keeper, client_entity):
    """ "Brouillon créé à partir de 1 saisie.", not "1 saisies"."""
    (entry,) = actions.record_entries(
        [{"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "2"}],
        by=keeper,
    )
    client.force_login(keeper)
    url = reverse("billing:wip_client", args=[client_entity.pk])
    data = {"entries": [entry.pk], "bill": "final", "allocation": "pro_rata"}
    response = client.post(
        url, {**data, "grouping": "work_code"}, HTTP_ACCEPT_LANGUAGE="fr", follow=True
    )
    assert "Brouillon créé à partir de 1 saisie." in html.unescape(response.content.decode())


def test_every_user_gets_a_page_or_a_reason(client, staff, keeper, client_entity):
    (entry,) = actions.record_entries(
        [{"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "2"}], by=keeper
    )
    urls = [
        reverse("billing:time"),
        reverse("billing:wip"),
        reverse("billing:wip_client", args=[client_entity.pk]),
        reverse("billing:wip") + "?staff=x&start=nope",
    ]
    for user in staff.values():
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code in (200, 404), (user.username, url)
        assert client.post(reverse("billing:entry_delete", args=[entry.pk])).status_code == 302
    assert Entry.objects.filter(pk=entry.pk).exists() is False  # alice could delete hers


def test_the_week_grid_records_every_filled_cell_or_none(client, keeper, client_entity):
    client.force_login(keeper)
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    data = {
        "week": monday.isoformat(),
        "r0-client": client_entity.pk,
        "r0-code": "AUD",
        "r0-d0": "2",
        "r0-d2": "1:30",
        "r1-client": client_entity.pk,
        "r1-code": "AUD",
        "r1-d4": "abc",
    }
    assert client.post(reverse("billing:week"), data).status_code == 422
    assert not Entry.objects.exists()
    del data["r1-d4"]
    assert client.post(reverse("billing:week"), data).status_code == 302
    assert sorted(Entry.objects.values_list("hours", flat=True)) == [Decimal("1.50"), 2]
    page = client.get(reverse("billing:week"), {"week": monday.isoformat()})
    assert page.status_code == 200


def test_the_week_grid_reads_hours_as_written_in_french(client, keeper, client_entity):
    """1h30, 2h, 0 h 45 as a French timekeeper writes them, beside 1,5 and 1:30."""
    client.force_login(keeper)
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    data = {
        "week": monday.isoformat(),
        "r0-client": client_entity.pk,
        "r0-code": "AUD",
        "r0-d0": "1h30",
        "r0-d1": "2h",
        "r0-d2": "0 h 45",
        "r0-d3": "1,25",
    }
    response = client.post(reverse("billing:week"), data, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    hours = sorted(Entry.objects.values_list("hours", flat=True))
    assert hours == [Decimal("0.75"), Decimal("1.25"), Decimal("1.50"), 2]


def test_a_refused_week_comes_back_as_typed_each_error_beside_its_cell(
    client, keeper, client_entity
):
    client.force_login(keeper)
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    data = {
        "week": monday.isoformat(),
        "r0-client": client_entity.pk,
        "r0-code": "AUD",
        "r0-d0": "2",
        "r0-d2": "1:30",
        "r0-description": "Révision des comptes",
        "r1-code": "AUD",
        "r1-d1": "3",
        "r2-client": client_entity.pk,
        "r2-code": "AUD",
        "r2-d4": "abc",
    }
    response = client.post(reverse("billing:week"), data, HTTP_ACCEPT_LANGUAGE="fr")
    page = response.content.decode()
    assert response.status_code == 422 and not Entry.objects.exists()
    # Everything typed is there again.
    assert 'name="r0-d0" value="2"' in page and 'name="r0-d2" value="1:30"' in page
    assert 'value="Révision des comptes"' in page and 'name="r2-d4" value="abc"' in page
    assert f'<option value="{client_entity.pk}" selected>' in page
    # Each refusal beside what it refuses: the hours beside Friday's cell of row 3, the
    # missing client beside row 2; the top says where to look.
    cell = page.split('name="r2-d4"', 1)[1].split("</td>", 1)[0]
    assert 'id="r2-d4-error"' in cell and "24" in cell
    row = page.split('name="r1-client"', 1)[1].split("</td>", 1)[0]
    assert 'id="r1-errors"' in row
    assert "Des cellules sont à revoir" in page


def test_the_week_grid_offers_the_most_used_billable_code(client, keeper, firm, client_entity):
    WorkCode.objects.create(firm=firm, code="ADM", name="Admin", billable=False)
    WorkCode.objects.create(firm=firm, code="TAX", name="Tax", default_rate=90)
    client.force_login(keeper)
    # No entry yet: no code chosen for the user (never a non-billable one).
    page = client.get(reverse("billing:week")).content.decode()
    assert " selected>ADM<" not in page and 'value="ADM" selected' not in page
    assert 'value="AUD" selected' not in page
    rows = [
        {"client": client_entity.pk, "work_code": code, "day": TODAY, "hours": "1"}
        for code in ("ADM", "ADM", "ADM", "TAX", "TAX", "AUD")
    ]
    actions.record_entries(rows, by=keeper)
    page = client.get(reverse("billing:week")).content.decode()
    assert page.count('<option value="TAX" selected>') == 8
    assert 'value="ADM" selected' not in page


def test_spreading_hours_from_the_page(client, keeper, client_entity):
    client.force_login(keeper)
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    response = client.post(
        reverse("billing:spread"),
        {
            "client": client_entity.pk,
            "work_code": "AUD",
            "total": "10",
            "start": monday.isoformat(),
            "end": (monday + datetime.timedelta(days=2)).isoformat(),
            "weekdays": ["0", "1", "2", "3", "4"],
        },
    )
    assert response.status_code == 302
    assert sum(Entry.objects.values_list("hours", flat=True)) == Decimal("10")


def test_work_settings_codes_import_and_rates(client, keeper, firm):
    client.force_login(keeper)
    url = reverse("settings:work")
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("codes.csv", b"Code,Type,Name,Rate,Surcharge\nTAX,B,Tax,150,5\n")
    assert client.post(url, {"form": "import", "file": upload}).status_code == 302
    assert WorkCode.objects.filter(code="TAX", default_rate=150).exists()
    response = client.post(
        url,
        {
            "form": "rate",
            "rate-staff": keeper.pk,
            "rate-work_code": "",
            "rate-rate": "1 095,50",  # as a French user types it
            "rate-effective_from": TODAY.isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 302
    assert StaffRate.objects.get(staff=keeper).rate == Decimal("1095.50")


def test_an_unbilled_entry_is_changed_from_its_page_a_billed_one_is_not(
    client, keeper, client_entity, template
):
    (entry,) = actions.record_entries(
        [{"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "2"}], by=keeper
    )
    client.force_login(keeper)
    url = reverse("billing:entry_edit", args=[entry.pk])
    assert client.get(url).status_code == 200
    data = {
        "kind": "time",
        "client": client_entity.pk,
        "work_code": "AUD",
        "day": TODAY.isoformat(),
        "hours": "3",
        "billable": "on",
    }
    assert client.post(url, data).status_code == 302
    entry.refresh_from_db()
    assert (entry.hours, entry.amount) == (Decimal("3.00"), Decimal("300.00"))
    from facturier.invoicing import actions as invoicing

    draft = invoicing.draft_from_wip(by=keeper, client=client_entity, entries=[entry.pk])
    invoicing.finalize_invoice(draft, by=keeper)
    response = client.post(url, {**data, "hours": "1"})
    assert response.status_code == 422
    entry.refresh_from_db()
    assert entry.hours == Decimal("3.00")


def test_the_realization_is_shown_before_the_draft_is_made(client, keeper, client_entity):
    entries = actions.record_entries(
        [
            {"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "2"},
            {"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "1"},
        ],
        by=keeper,
    )
    client.force_login(keeper)
    url = reverse("billing:wip_client", args=[client_entity.pk])
    data = {
        "entries": [e.pk for e in entries],
        "bill": "final",
        "percent": "-10",
        "allocation": "pro_rata",
        "reason": "Remise",
        "grouping": "work_code",
    }
    response = client.post(url, {**data, "preview": "1"}, HTTP_ACCEPT_LANGUAGE="fr")
    page = response.content.decode()
    assert response.status_code == 200 and not Invoice.objects.exists()
    preview = page.split('id="bill-preview"', 1)[1].split("</dl>", 1)[0]
    assert "300,00" in preview and "270,00" in preview and "90,0 %" in preview
    assert 'value="-10"' in page  # what was typed stays
    assert client.post(url, data).status_code == 302
    assert Invoice.objects.get().total_net == Decimal("270.00")


PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_receipt_can_be_seen_after_upload_and_replaced(client, keeper, firm, client_entity):
    from django.core.files.uploadedfile import SimpleUploadedFile

    WorkCode.objects.create(firm=firm, code="TRV", name="Travel", kind="expense")
    client.force_login(keeper)
    data = {
        "kind": "expense",
        "client": client_entity.pk,
        "work_code": "TRV",
        "day": TODAY.isoformat(),
        "amount": "42,50",
        "vat_rate": "20",
        "billable": "on",
        "receipt": SimpleUploadedFile("ticket.pdf", PDF, content_type="application/pdf"),
    }
    assert client.post(reverse("billing:time"), data).status_code == 302
    entry = Entry.objects.get()
    url = reverse("billing:entry_receipt", args=[entry.pk])
    listed = client.get(reverse("billing:time")).content.decode()
    assert f'href="{url}"' in listed
    shown = client.get(url)
    assert shown.status_code == 200 and shown.content == PDF
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")["Content-Disposition"]
    assert french == f'inline; filename="justificatif-{entry.pk}.pdf"'
    assert shown["Content-Type"] == "application/pdf"
    assert shown["Content-Security-Policy"] == "sandbox"
    edit = reverse("billing:entry_edit", args=[entry.pk])
    page = client.get(edit).content.decode()
    assert f'href="{url}"' in page and 'enctype="multipart/form-data"' in page
    replaced = client.post(
        edit,
        {
            **{k: v for k, v in data.items() if k != "receipt"},
            "receipt": SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
        },
    )
    assert replaced.status_code == 302
    assert client.get(url).content == PNG and client.get(url)["Content-Type"] == "image/png"
    bad = client.post(
        edit,
        {
            **{k: v for k, v in data.items() if k != "receipt"},
            "amount": "50",
            "receipt": SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="image/png"),
        },
    )
    assert bad.status_code == 422
    entry.refresh_from_db()
    assert entry.amount == Decimal("42.50")  # the amount waits with the refused receipt
    assert client.get(url).content == PNG


def test_a_receipt_is_shown_only_to_whoever_sees_the_entry(
    client, staff, keeper, firm, client_entity
):
    WorkCode.objects.create(firm=firm, code="TRV", name="Travel", kind="expense")
    (entry,) = actions.record_entries(
        [
            {
                "client": client_entity.pk,
                "work_code": "TRV",
                "day": TODAY,
                "amount": "10",
                "receipt": PDF,
            }
        ],
        by=keeper,
    )
    url = reverse("billing:entry_receipt", args=[entry.pk])
    seen = {}
    for name, user in staff.items():
        client.force_login(user)
        seen[name] = client.get(url).status_code
    assert seen == {
        "owner_processor": 200,
        "owner_only": 200,
        "processor_only": 200,
        "neither": 404,
    }
    (no_receipt,) = actions.record_entries(
        [{"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "1"}], by=keeper
    )
    client.force_login(keeper)
    assert client.get(reverse("billing:entry_receipt", args=[no_receipt.pk])).status_code == 404


@pytest.mark.parametrize(
    ("language", "hours", "amount", "vat"),
    [("fr", "3,25", "42,30", "20"), ("en", "3.25", "42.30", "20")],
)
def test_an_entry_comes_back_to_its_form_as_its_reader_types_numbers(
    client, keeper, firm, client_entity, language, hours, amount, vat
):
    WorkCode.objects.create(firm=firm, code="TRV", name="Travel", kind="expense")
    time, expense = actions.record_entries(
        [
            {"client": client_entity.pk, "work_code": "AUD", "day": TODAY, "hours": "3:15"},
            {
                "client": client_entity.pk,
                "work_code": "TRV",
                "day": TODAY,
                "amount": "42,30",
                "vat_rate": "20",
            },
        ],
        by=keeper,
    )
    client.force_login(keeper)
    lang = {"HTTP_ACCEPT_LANGUAGE": language}
    page = client.get(reverse("billing:entry_edit", args=[time.pk]), **lang).content.decode()
    assert f'name="hours" value="{hours}"' in page
    page = client.get(reverse("billing:entry_edit", args=[expense.pk]), **lang).content.decode()
    assert f'name="amount" value="{amount}"' in page and f'name="vat_rate" value="{vat}"' in page
    assert "E+" not in page
    # Saved as shown, nothing moves.
    saved = client.post(
        reverse("billing:entry_edit", args=[expense.pk]),
        {
            "kind": "expense",
            "client": client_entity.pk,
            "work_code": "TRV",
            "day": TODAY.isoformat(),
            "amount": amount,
            "vat_rate": vat,
            "billable": "on",
        },
        **lang,
    )
    assert saved.status_code == 302
    expense.refresh_from_db()
    assert (expense.amount, expense.vat_rate) == (Decimal("42.30"), Decimal("20"))


def test_a_drafts_lines_come_back_to_the_editor_with_decimal_commas_in_french(
    client, alice, make_draft, template
):
    line = {"description": "Conseil", "quantity": "1.5", "unit_price": "1234.50", "vat_rate": "5.5"}
    draft = make_draft(lines=[line])
    client.force_login(alice)
    page = client.get(
        reverse("billing:invoice_edit", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    for shown in ('value="1,5"', 'value="1234,50"', 'value="5,5"'):  # a price keeps its cents
        assert shown in page


def test_a_refused_spread_comes_back_on_its_week_as_typed(client, keeper, client_entity):
    """A total that is not a number: the page of the week asked (not the current one),
    the spread form open with what was typed and the refusal beside the total; nothing
    recorded."""
    client.force_login(keeper)
    monday = TODAY - datetime.timedelta(days=TODAY.weekday() + 21)
    response = client.post(
        reverse("billing:spread"),
        {
            "client": client_entity.pk,
            "work_code": "AUD",
            "total": "abc",
            "start": monday.isoformat(),
            "end": (monday + datetime.timedelta(days=4)).isoformat(),
            "weekdays": ["0", "2"],
            "description": "Révision des comptes",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    assert '<details id="spread" open>' in page
    assert 'value="abc"' in page and 'value="Révision des comptes"' in page
    assert "Saisissez un nombre d'heures supérieur à 0." in page
    assert 'aria-describedby="spread-total-error"' in page
    assert f'value="{monday.isoformat()}"' in page  # its week, not this one
    assert f'<option value="{client_entity.pk}" selected>' in page
    assert page.count('name="weekdays" value="0" checked') == 1
    assert 'name="weekdays" value="1" >' in page  # left unticked, as sent
    assert not Entry.objects.exists()
