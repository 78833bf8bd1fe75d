import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from facturier.clients.models import Client
from facturier.invoicing import actions
from facturier.invoicing.models import EmailDelivery, Invoice, InvoiceTemplate
from facturier.invoicing.permissions import CLOSED_ONLY, FINALIZED_ONLY
from tests.images import SVG, png

pytestmark = pytest.mark.django_db

LINES = {
    "line_description": ["Tenue comptable", "Conseil"],
    "line_quantity": ["1", "2,5"],
    "line_unit_price": ["450", "135"],
    "line_vat_rate": ["20", "20"],
    "line_discount_percent": ["", ""],
}


@pytest.fixture
def browser(client, alice):
    client.force_login(alice)
    return client


def login(client, user):
    client.force_login(user)
    return client


def test_anonymous_is_sent_to_login_and_lands_on_billing(client, alice):
    response = client.get(reverse("billing:invoices"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response["Location"] == "/billing/invoices/"


def test_list_hides_closed_until_the_closed_filter(browser, closed, make_draft):
    draft = make_draft()
    page = browser.get(reverse("billing:invoices")).content.decode()
    assert (
        f'name="ids" value="{draft.pk}"' in page and f'name="ids" value="{closed.pk}"' not in page
    )
    page = browser.get(reverse("billing:invoices") + "?status=closed").content.decode()
    assert (
        f'name="ids" value="{closed.pk}"' in page and f'name="ids" value="{draft.pk}"' not in page
    )


def test_the_filters_show_what_the_link_asks(browser, closed, client_entity):
    """The filter bar is written by hand (no widget templates): it shows a shared link's
    values as the form would, escaped."""
    page = browser.get(
        reverse("billing:invoices"),
        {
            "status": ["closed", "draft"],
            "payment": "overdue",
            "sort": "oldest",
            "q": '"><script>',
            "issued_after": "2026-01-02",
            "client": client_entity.pk,
        },
    ).content.decode()
    assert '<input type="checkbox" name="status" value="closed" id="id_status_2" checked>' in page
    assert '<input type="checkbox" name="status" value="finalized" id="id_status_1">' in page
    assert 'value="overdue" id="id_payment_2" checked>' in page
    assert '<option value="oldest" selected>' in page
    assert '<option value="newest">' in page
    assert 'value="&#34;&gt;&lt;script&gt;"' in page and "<script>" not in page.split("</head>")[1]
    assert 'name="issued_after" value="2026-01-02"' in page
    assert f'<option value="{client_entity.pk}" selected>' in page
    assert 'name="issued_before" id="id_issued_before">' in page  # no value, not "None"


def test_the_list_speaks_each_language_in_turn(browser, make_draft, finalized):
    """Translations are kept per language: one language's words never leak into the other's
    page, however the requests alternate."""
    make_draft()
    for _round in range(2):
        browser.cookies.load({"django_language": "fr"})
        french = html.unescape(
            browser.get(reverse("billing:invoices"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        )
        browser.cookies.load({"django_language": "en"})
        english = html.unescape(
            browser.get(reverse("billing:invoices"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        )
        assert ">Brouillon</span>" in french and ">Draft</span>" in english
        assert "Plus d'actions" in french and "More actions" in english
        assert "2 factures" in french and "2 invoices" in english
        assert "Statut" in french and "Draft</span>" not in french
        # A row's reasons, which the toolbar shows, are each in its page's language.
        for page, language in ((french, "fr"), (english, "en")):
            with translation.override(language):
                assert f'data-why-pay="{FINALIZED_ONLY}"' in page
                assert f'data-why-reopen="{CLOSED_ONLY}"' in page


def test_the_client_filter_lists_the_clients_as_they_are_now(browser, firm, make_client):
    """The client list is written once and reused: a renamed client is listed by its new
    name at once, escaped, and the selected one follows the link."""
    first, second = make_client(firm, "Alpha"), make_client(firm, "Beta")
    page = browser.get(reverse("billing:invoices"), {"client": first.pk}).content.decode()
    assert f'<option value="{first.pk}" selected>Alpha</option>' in page
    assert f'<option value="{second.pk}">Beta</option>' in page
    Client.objects.filter(pk=second.pk).update(name="Beta & <Fils>")
    page = browser.get(reverse("billing:invoices"), {"client": second.pk}).content.decode()
    assert f'<option value="{first.pk}">Alpha</option>' in page
    assert f'<option value="{second.pk}" selected>Beta &amp; &lt;Fils&gt;</option>' in page


def test_the_invoices_layout_reads_one_csrf_token(browser):
    """The page's own part (Jinja2) renders before the layout (Django). Django's Jinja2
    backend leaves in the dict it renders a csrf_token that masks the token anew at each
    read; the layout must read its own, once, not that one three times over."""
    page = browser.get(reverse("billing:invoices")).content.decode()
    header = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    forms = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(forms) == 3  # the language and log-out forms, and the toolbar
    assert forms.count(header) == 2


def test_a_permission_taken_away_is_gone_at_the_next_request(client, staff):
    """The rights come with the session's user, read again at every request."""
    from django.contrib.auth.models import Permission

    bob = staff["owner_only"]
    login(client, bob)
    process = Permission.objects.get(codename="process_invoices")
    bob.user_permissions.add(process)
    page = client.get(reverse("billing:invoices")).content.decode()
    assert f'href="{reverse("billing:invoice_new")}" role="button"' in page
    bob.user_permissions.remove(process)
    page = client.get(reverse("billing:invoices")).content.decode()
    assert 'aria-describedby="reason-new"' in page
    assert f'href="{reverse("billing:invoice_new")}" role="button"' not in page


def test_nonsense_in_the_url_is_ignored_not_an_error(browser, draft):
    response = browser.get(
        reverse("billing:invoices"),
        {
            "status": "bogus",
            "issued_after": "yesterday",
            "client": "x",
            "page": "999",
            "sort": "drop table",
        },
    )
    assert response.status_code == 200
    assert f'name="ids" value="{draft.pk}"' in response.content.decode()


def test_another_firms_invoice_is_a_404(browser, make_firm, make_client, make_user):
    firm = make_firm("Autre")
    client = make_client(firm)
    erin = make_user("erin", firm, processing=True, owns=[client])
    foreign = actions.create_draft(
        by=erin, client=client, lines=[{"description": "x", "unit_price": "1"}]
    )
    for name in (
        "billing:invoice",
        "billing:invoice_edit",
        "billing:invoice_pdf",
        "billing:invoice_finalize",
    ):
        assert browser.get(reverse(name, args=[foreign.pk])).status_code == 404


def test_owner_without_processing_sees_but_cannot_edit(client, staff, draft):
    login(client, staff["owner_only"])
    page = client.get(reverse("billing:invoice", args=[draft.pk])).content.decode()
    assert "You lack the processing permission." in page
    response = client.get(reverse("billing:invoice_edit", args=[draft.pk]), follow=True)
    assert "You lack the processing permission." in response.content.decode()


def test_the_send_dialog_opened_by_address_says_first_who_may_send(client, staff, finalized):
    """bob (owner, no processing permission) typing the dialog's address is told at once,
    not after filling in the e-mail; the Send button is off."""
    login(client, staff["owner_only"])
    url = reverse("billing:send") + f"?ids={finalized.pk}&mode=resend"
    page = client.get(url).content.decode()
    assert "You lack the processing permission." in page
    assert re.search(r'<button type="submit"\s+disabled>', page)


def test_a_user_with_no_rights_sees_no_invoice_and_gets_404(client, staff, draft):
    login(client, staff["neither"])
    assert (
        f'name="ids" value="{draft.pk}"'
        not in client.get(reverse("billing:invoices")).content.decode()
    )
    assert client.get(reverse("billing:invoice", args=[draft.pk])).status_code == 404


def test_create_a_draft_with_lines(browser, client_entity):
    response = browser.post(
        reverse("billing:invoice_new"),
        {"client": client_entity.pk, "issue_date": "2026-11-28", "notes": "Merci", **LINES},
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert [line.description for line in invoice.lines.all()] == ["Tenue comptable", "Conseil"]
    assert str(invoice.total_gross) == "945.00"  # (450 + 337.50) * 1.2


def test_the_lines_editor_reads_amounts_as_a_french_user_writes_them(browser, client_entity):
    lines = {**LINES, "line_unit_price": ["1 234,50", "1.000,25"], "line_quantity": ["1", "x"]}
    data = {"client": client_entity.pk, "issue_date": "2026-11-28", **lines}
    refused = browser.post(reverse("billing:invoice_new"), data)
    page = refused.content.decode()
    # A value it cannot read is refused, and the row comes back as typed.
    assert refused.status_code == 422 and not Invoice.objects.exists()
    assert 'value="x"' in page
    # Its refusal is tied to its cell, for a screen reader to read with the field.
    assert 'aria-describedby="line-1-quantity-error"' in page
    assert 'id="line-1-quantity-error"' in page
    browser.post(reverse("billing:invoice_new"), {**data, "line_quantity": ["1", "2"]})
    prices = [line.unit_price for line in Invoice.objects.get().lines.order_by("position")]
    assert prices == [Decimal("1234.50"), Decimal("1000.25")]


def test_a_refused_invoice_gives_back_the_figures_as_a_french_user_typed_them(
    browser, client_entity
):
    """Refused (no client), the lines come back as typed (1 234,50), not as the server
    read them (1234.50, nor 1234,5), and the totals count the discount on the whole
    invoice."""
    lines = {**LINES, "line_unit_price": ["1 234,50", "135"], "line_quantity": ["1", "2,5"]}
    data = {"issue_date": "2026-11-28", "discount_percent": "10", **lines}
    refused = browser.post(reverse("billing:invoice_new"), data, HTTP_ACCEPT_LANGUAGE="fr")
    page = refused.content.decode()
    assert refused.status_code == 422 and not Invoice.objects.exists()
    assert 'value="1 234,50"' in page and 'value="2,5"' in page and "1234.5" not in page
    gross = re.search(r'data-total="gross">([^<]*)<', page).group(1)
    spaced = html.unescape(gross).replace("\u202f", " ").replace("\xa0", " ")
    assert spaced == "1 697,76 €"  # (1 234,50 + 337,50) less 10 %, plus 20 %


def test_the_editor_keeps_the_french_mentions_and_the_invoice_discount(browser, client_entity):
    fields = {
        "client": client_entity.pk,
        "issue_date": "2026-11-28",
        "operation": "mixed",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "purchase_order": "PO-7",
        "delivery_city": "Lyon",
        "discount_percent": "10",
        **LINES,
    }
    preview = browser.post(reverse("billing:totals"), fields).content.decode()
    assert "Invoice discount" in preview and "78.75" in preview  # 10 % of 787.50
    browser.post(reverse("billing:invoice_new"), fields)
    invoice = Invoice.objects.get()
    assert (invoice.operation, invoice.purchase_order, invoice.delivery_city) == (
        "mixed",
        "PO-7",
        "Lyon",
    )
    assert str(invoice.total_net) == "708.75" and str(invoice.total_gross) == "850.50"
    page = browser.get(reverse("billing:invoice_edit", args=[invoice.pk])).content.decode()
    assert 'value="PO-7"' in page and 'value="2026-10-01"' in page
    fields["period_end"] = "2026-09-01"  # before the start: refused, nothing changed
    refused = browser.post(reverse("billing:invoice_edit", args=[invoice.pk]), fields)
    assert refused.status_code == 422
    assert "The period ends before it starts." in refused.content.decode()


def test_a_french_draft_opens_with_its_totals(browser, make_draft):
    """Its figures come back as a French user types them (1,5): the totals beside the
    lines are the draft's, invoice discount included, not 0,00 € until a key is pressed."""
    line = {"description": "Conseil fiscal", "vat_rate": "20"}
    lines = [{**line, "quantity": "1.5", "unit_price": "1234.56", "discount_percent": "5.5"}]
    draft = make_draft(lines=lines, discount_percent=Decimal("2.5"))
    assert str(draft.total_gross) == "2047.49"
    page = browser.get(
        reverse("billing:invoice_edit", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert 'value="1,5"' in page
    gross = re.search(r'data-total="gross">([^<]*)<', page).group(1)
    assert html.unescape(gross).replace("\u202f", " ").replace("\xa0", " ") == "2 047,49 €"
    assert "Remise sur la facture" in page


def test_bad_line_comes_back_with_the_error_and_nothing_saved(browser, client_entity):
    response = browser.post(
        reverse("billing:invoice_new"),
        {
            "client": client_entity.pk,
            "issue_date": "2026-11-28",
            "line_description": ["Conseil"],
            "line_quantity": ["1"],
            "line_unit_price": ["abc"],
            "line_vat_rate": ["20"],
            "line_discount_percent": [""],
        },
    )
    assert response.status_code == 422
    assert "Enter a number." in response.content.decode()
    assert 'value="Conseil"' in response.content.decode()  # what was typed is kept
    assert not Invoice.objects.exists()


def test_totals_preview_uses_the_server_rounding(browser, client_entity):
    response = browser.post(
        reverse("billing:totals"),
        {
            "client": client_entity.pk,
            "line_description": ["a"],
            "line_quantity": ["3"],
            "line_unit_price": ["19,99"],
            "line_vat_rate": ["20"],
            "line_discount_percent": ["15"],
        },
    )
    text = response.content.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert "50.97" in text or "50,97" in text
    assert "61.16" in text or "61,16" in text


def test_bulk_close_confirms_and_a_draft_is_refused(browser, make_draft, alice, template):
    one = actions.finalize_invoice(make_draft(), by=alice)
    two = actions.finalize_invoice(make_draft(), by=alice)
    response = browser.post(
        reverse("billing:bulk"), {"action": "close", "ids": [one.pk, two.pk]}, follow=True
    )
    assert "2 invoices closed." in response.content.decode()
    draft = make_draft()
    response = browser.post(
        reverse("billing:bulk"), {"action": "close", "ids": [draft.pk]}, follow=True
    )
    assert "cannot be closed" in response.content.decode()
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


def test_resend_of_several_is_refused(browser, make_draft, alice, template):
    one = actions.finalize_invoice(make_draft(), by=alice)
    two = actions.finalize_invoice(make_draft(), by=alice)
    response = browser.post(
        reverse("billing:bulk"), {"action": "resend", "ids": [one.pk, two.pk]}, follow=True
    )
    assert "Resends go one at a time" in response.content.decode()


def test_finalize_with_a_template_then_send(browser, draft, template, firm):
    sober = InvoiceTemplate.objects.create(firm=firm, name="Sobre")
    response = browser.post(
        reverse("billing:invoice_finalize", args=[draft.pk]), {"template": sober.pk, "then": "send"}
    )
    draft.refresh_from_db()
    assert draft.status == "finalized" and draft.template == sober
    assert response["Location"].startswith(reverse("billing:send"))
    page = browser.get(response["Location"]).content.decode()
    assert "compta@client.example" in page  # To: prefilled from the billing contact


def test_finalize_message_names_the_number(browser, draft, template):
    response = browser.post(
        reverse("billing:invoice_finalize", args=[draft.pk]), {"then": "done"}, follow=True
    )
    assert "Invoice 0000001 finalized." in response.content.decode()


def test_send_dialog_names_the_already_sent(browser, make_draft, alice, template):
    sent = actions.finalize_invoice(make_draft(), by=alice)
    sent.sent_count = 1
    sent.save()
    fresh = actions.finalize_invoice(make_draft(), by=alice)
    response = browser.post(
        reverse("billing:send"),
        {
            "ids": [sent.pk, fresh.pk],
            "mode": "send",
            "subject": "Facture {number}",
            "message": "Bonjour",
            "cc": "",
        },
    )
    assert response.status_code == 422
    assert sent.number in response.content.decode()
    assert not EmailDelivery.objects.exists()


def test_send_dialog_queues_one_delivery_per_invoice(browser, make_draft, alice, template):
    invoices = [actions.finalize_invoice(make_draft(), by=alice) for _ in range(3)]
    response = browser.post(
        reverse("billing:send"),
        {
            "ids": [i.pk for i in invoices],
            "mode": "send",
            "subject": "Facture {number}",
            "message": "Bonjour {client}",
            "cc": "",
        },
        follow=True,
    )
    assert "3 invoices are being sent." in response.content.decode()
    assert sorted(EmailDelivery.objects.values_list("subject", flat=True)) == [
        f"Facture {i.number}" for i in invoices
    ]


def test_pdf_inline_and_download(browser, finalized):
    inline = browser.get(reverse("billing:invoice_pdf", args=[finalized.pk]))
    assert inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"] == 'inline; filename="0000001.pdf"'
    download = browser.get(reverse("billing:invoice_pdf", args=[finalized.pk]), {"download": 1})
    assert download["Content-Disposition"].startswith("attachment")
    assert download.content == inline.content


def test_language_switch_is_kept_on_the_user(browser, alice):
    browser.post(reverse("set_language"), {"language": "fr", "next": "/billing/invoices/"})
    alice.refresh_from_db()
    assert alice.language == "fr"
    page = browser.get(reverse("billing:invoices"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Plus d'actions" in html.unescape(page)  # as read, however it is escaped


def test_browser_language_decides_before_any_choice(client, staff):
    login(client, staff["owner_processor"])
    page = client.get(reverse("billing:invoices"), HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()
    assert "Factures" in page
    page = client.get(reverse("billing:invoices"), HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "More actions" in page


# --- settings ---------------------------------------------------------------------------


@pytest.fixture
def manager(alice):
    from django.contrib.auth.models import Permission

    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(alice).objects.get(pk=alice.pk)


def test_templates_need_the_settings_right(client, staff):
    login(client, staff["processor_only"])
    response = client.get(reverse("settings:templates"), follow=True)
    assert "You need the right to manage invoicing settings." in response.content.decode()


def test_create_a_template_with_a_logo(client, manager, firm):
    login(client, manager)
    upload = pytest.importorskip("django.core.files.uploadedfile").SimpleUploadedFile(
        "logo.png", png(), content_type="image/png"
    )
    response = client.post(
        reverse("settings:template_new"),
        {
            "name": "Avec logo",
            "accent_color": "#aa3300",
            "font": "Inter",
            "label_language": "",
            "paper": "a4",
            "show_logo": "on",
            "show_client_address": "on",
            "logo_file": upload,
        },
    )
    assert response.status_code == 302
    template = InvoiceTemplate.objects.get(name="Avec logo")
    assert bytes(template.logo) == png() and template.logo_content_type == "image/png"
    assert template.is_default  # the firm's first template


@pytest.mark.parametrize(
    "data, error",
    [
        (b"GIF89a....", "Use a PNG, JPEG or SVG image."),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 600_000, "at most 512 KB"),
        (b"\x89PNG\r\n\x1a\nbroken", "could not be read"),
    ],
)
def test_bad_logos_are_refused(client, manager, data, error):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, manager)
    response = client.post(
        reverse("settings:template_new"),
        {
            "name": "X",
            "accent_color": "#aa3300",
            "font": "Inter",
            "paper": "a4",
            "logo_file": SimpleUploadedFile("logo.png", data),
        },
    )
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not InvoiceTemplate.objects.filter(name="X").exists()


def test_svg_logo_is_accepted(client, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, manager)
    client.post(
        reverse("settings:template_new"),
        {
            "name": "Vector",
            "accent_color": "#aa3300",
            "font": "Inter",
            "paper": "a4",
            "logo_file": SimpleUploadedFile("logo.svg", SVG),
        },
    )
    assert InvoiceTemplate.objects.get(name="Vector").logo_content_type == "image/svg+xml"


def test_live_preview_is_an_image(client, manager, template):
    login(client, manager)
    response = client.post(
        reverse("settings:template_preview"),
        {
            "template_id": template.pk,
            "name": "Standard",
            "accent_color": "#000000",
            "font": "Libertinus Serif",
            "paper": "us-letter",
        },
    )
    assert 'src="data:image/png;base64,' in response.content.decode()


def test_default_template_cannot_be_archived(client, manager, template):
    login(client, manager)
    response = client.post(
        reverse("settings:template_archive", args=[template.pk]), {"archive": "1"}, follow=True
    )
    assert "Make another template the default first." in response.content.decode()
    template.refresh_from_db()
    assert template.archived_at is None


def test_next_number_cannot_be_set_back(client, manager, firm, finalized):
    login(client, manager)
    response = client.post(
        reverse("settings:firm"),
        {
            "numbering-prefix": "F",
            "numbering-padding_char": "0",
            "numbering-padding_length": 5,
            "numbering-next_number": 1,
            **{
                f"firm-{k}": v
                for k, v in {
                    "name": firm.name,
                    "country": "FR",
                    "default_payment_terms_days": 30,
                    "default_currency": "EUR",
                    "default_vat_rate": "20",
                }.items()
            },
        },
    )
    assert response.status_code == 422
    assert "cannot go back" in response.content.decode()


def _firm_page(firm, **numbering):
    return {
        **{
            f"firm-{k}": v
            for k, v in {
                "name": firm.name,
                "country": "FR",
                "default_payment_terms_days": 30,
                "default_currency": "EUR",
                "default_vat_rate": "20",
                "close_when_paid": "on",
                "credit_notes_own_series": "on",
            }.items()
        },
        "numbering-prefix": "F-",
        "numbering-padding_char": "0",
        "numbering-padding_length": 5,
        "numbering-next_number": 1,
        "credit_numbering-prefix": "AVOIR-",
        "credit_numbering-padding_char": "0",
        "credit_numbering-padding_length": 4,
        "credit_numbering-next_number": 1,
        **numbering,
    }


def test_the_credit_notes_series_is_set_beside_the_invoices(client, manager, firm):
    login(client, manager)
    response = client.post(reverse("settings:firm"), _firm_page(firm))
    assert response.status_code == 302
    page = client.get(reverse("settings:firm")).content.decode()
    assert "AVOIR-0001" in page and "F-00001" in page
    response = client.post(
        reverse("settings:firm"), _firm_page(firm, **{"credit_numbering-prefix": "F-"})
    )
    assert response.status_code == 422
    assert "need different prefixes" in response.content.decode()
    page = client.get(reverse("settings:firm")).content.decode()
    assert "AVOIR-0001" in page  # the refused change left nothing behind


def test_a_huge_list_says_more_than_instead_of_counting(browser, make_draft, monkeypatch):
    from facturier.invoicing.selectors import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "count_cap", 2)
    for _ in range(3):
        make_draft()
    page = browser.get(reverse("billing:invoices")).content.decode()
    assert "More than 2 invoices" in page
    assert page.count('name="ids"') == 3


def test_the_invoice_page_shows_what_became_of_each_email(browser, finalized, alice, smtp_server):
    from facturier.invoicing import email_outbox

    smtp_server.handler.refuse = {"gone@client.example": "550 5.1.1 No such user"}
    (queued,) = actions.send_invoices(
        [finalized], by=alice, subject="Facture", message="Bonjour", cc=["gone@client.example"]
    )
    email_outbox.deliver(queued.pk)
    page = browser.get(reverse("billing:invoice", args=[finalized.pk])).content.decode()
    assert "e-mailed, but some recipients were refused" in page
    assert "Refused for:" in page and "gone@client.example (550 5.1.1 No such user)" in page


def test_the_list_says_which_invoices_are_being_sent_until_they_are(
    browser, finalized, make_draft, alice, template, smtp_server
):
    from facturier.invoicing import email_outbox

    other = actions.finalize_invoice(make_draft(), by=alice)
    (queued,) = actions.send_invoices([finalized], by=alice, subject="Facture", message="Bonjour")

    def row(page, invoice):
        return page.split(f'data-invoice="{invoice.pk}"')[1].split("</tr>")[0]

    page = browser.get(reverse("billing:invoices")).content.decode()
    assert "Sending…" in row(page, finalized) and "Sending…" not in row(page, other)
    assert "data-polling" in page  # the table asks again until it is sent
    email_outbox.deliver(queued.pk)
    page = browser.get(reverse("billing:invoices")).content.decode()
    assert "Sending…" not in row(page, finalized) and "✓" in row(page, finalized)
    assert "data-polling" not in page


def test_bulk_delete_of_drafts_is_all_or_nothing(browser, make_draft, finalized):
    draft = make_draft()
    response = browser.post(
        reverse("billing:bulk"),
        {"action": "delete", "ids": [str(draft.pk), str(finalized.pk)]},
        follow=True,
    )
    assert Invoice.objects.filter(pk=draft.pk).exists()
    assert "it cannot be deleted" in response.content.decode()


def test_ids_that_are_not_plain_digits_are_ignored_not_a_500(browser, draft):
    for odd in ["١٢", "²", "9" * 40, "-1"]:
        response = browser.post(reverse("billing:bulk"), {"action": "close", "ids": [odd]})
        assert response.status_code == 302
        assert browser.get(reverse("billing:invoice_new") + f"?client={odd}").status_code == 200


def _upload_logo(client, name, data, filename="logo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("settings:template_new"),
        {
            "name": name,
            "accent_color": "#aa3300",
            "font": "Inter",
            "paper": "a4",
            "logo_file": SimpleUploadedFile(filename, data),
        },
    )


def test_a_huge_picture_is_refused_from_its_header_before_decoding(client, manager):
    import struct
    import time
    import zlib

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 16000, 16000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
    )
    login(client, manager)
    started = time.monotonic()
    response = _upload_logo(client, "Bombe", bomb)
    assert time.monotonic() - started < 2
    assert response.status_code == 422
    assert "16000 × 16000 pixels" in response.content.decode()
    assert not InvoiceTemplate.objects.filter(name="Bombe").exists()


def test_an_svg_logo_is_stored_without_its_scripts_and_served_inert(client, manager):
    hostile = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" onload="alert(1)">'
        b"<script>alert(document.cookie)</script>"
        b'<a href="javascript:alert(2)"><rect width="40" height="20" fill="#1f4e79"/></a>'
        b"<foreignObject><div>x</div></foreignObject></svg>"
    )
    login(client, manager)
    assert _upload_logo(client, "Vector", hostile, "logo.svg").status_code == 302
    template = InvoiceTemplate.objects.get(name="Vector")
    stored = bytes(template.logo)
    assert b"<rect" in stored
    for bad in (b"script", b"onload", b"javascript:", b"foreignObject"):
        assert bad not in stored
    served = client.get(reverse("settings:template_logo", args=[template.pk]))
    assert served["Content-Type"] == "image/svg+xml"
    assert "sandbox" in served["Content-Security-Policy"]
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "page",
    ["billing:invoices", "billing:invoice_new", "settings:firm", "settings:template_new"],
)
def test_every_description_a_control_points_to_exists(client, manager, page):
    import re

    login(client, manager)
    html = client.get(reverse(page)).content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    assert described, "the page has described controls"
    for refs in described:
        for ref in refs.split():
            assert ref in ids, f"aria-describedby={ref!r} points to nothing"


def test_the_closed_filter_is_offered_with_the_processing_permission_only(client, staff):
    login(client, staff["owner_only"])
    assert 'value="closed"' not in client.get(reverse("billing:invoices")).content.decode()
    login(client, staff["processor_only"])
    assert 'value="closed"' in client.get(reverse("billing:invoices")).content.decode()


@pytest.mark.parametrize("template_id", ["²", "١", " 1", "+1", "99999999999999999999", "0"])
def test_a_preview_of_an_odd_template_id_previews_the_form_never_a_500(
    client, manager, template, template_id
):
    login(client, manager)
    response = client.post(
        reverse("settings:template_preview"),
        {"template_id": template_id, "name": "Standard", "accent_color": "#000000"},
    )
    assert response.status_code == 200


def test_a_refused_credit_note_comes_back_as_typed_the_error_beside_its_line(
    browser, alice, make_draft, template
):
    lines = [
        {
            "description": "Tenue comptable",
            "quantity": "2",
            "unit_price": "100.00",
            "vat_rate": "20",
        },
        {"description": "Conseil", "quantity": "1", "unit_price": "50.00", "vat_rate": "20"},
    ]
    invoice = actions.finalize_invoice(make_draft(lines=lines), by=alice)
    url = reverse("billing:credit_note_new", args=[invoice.pk])
    data = {"mode": "lines", "line-0": "1", "quantity-0": "1,5", "line-1": "1", "quantity-1": "3"}
    response = browser.post(url, {**data, "notes": "Geste"}, HTTP_ACCEPT_LANGUAGE="fr")
    page = response.content.decode()
    assert response.status_code == 422 and not Invoice.objects.filter(kind="credit_note").exists()
    assert 'name="quantity-0" value="1,5"' in page and "Geste" in page
    beside = page.split('name="quantity-1"', 1)[1].split("</td>", 1)[0]
    assert 'id="quantity-1-error"' in beside and "Au plus 1" in beside
    assert 'id="quantity-0-error"' not in page
    # A French quantity is read as written.
    response = browser.post(url, {**data, "quantity-1": "1"})
    assert response.status_code == 302
    credit_note = Invoice.objects.get(kind="credit_note")
    assert [line.quantity for line in credit_note.lines.order_by("position")] == [1.5, 1]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_page_not_found_speaks_the_readers_language(client, staff, language):
    client.force_login(staff["owner_processor"])
    page = client.get("/billing/invoices/99999/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 404
    text = page.content.decode()
    assert f'<html lang="{language}">' in text
    assert ("Page introuvable" if language == "fr" else "Page not found") in text
    assert "The requested resource was not found on this server" not in text


def test_the_error_pages_render_in_french(rf):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("fr"):
        assert "Une erreur est survenue" in render_to_string("500.html")


def test_crediting_an_amount_shows_what_was_billed_at_each_rate_after_the_discount(
    browser, alice, make_draft, template
):
    """The base beside each VAT rate is the one invoiced: its lines less the discount on
    the whole invoice (787.50 less 10 %), the most an amount at that rate may credit."""
    lines = [
        {"description": "Tenue comptable", "quantity": "1", "unit_price": "450", "vat_rate": "20"},
        {"description": "Conseil", "quantity": "2.5", "unit_price": "135", "vat_rate": "20"},
    ]
    draft = make_draft(lines=lines, discount_percent=Decimal("10"))
    invoice = actions.finalize_invoice(draft, by=alice)
    page = browser.get(reverse("billing:credit_note_new", args=[invoice.pk])).content.decode()
    assert "(invoiced excl. VAT: €708.75)" in page and "787.50" not in page


def test_the_finalize_dialog_of_a_credit_note_speaks_of_a_credit_note_number(
    browser, alice, make_draft
):
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    url = reverse("billing:credit_note_new", args=[invoice.pk])
    assert browser.post(url, {"mode": "total"}).status_code == 302
    credit_note = Invoice.objects.get(kind="credit_note")
    finalize = reverse("billing:invoice_finalize", args=[credit_note.pk])
    page = browser.get(finalize, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "prochain numéro d'avoir" in html.unescape(page)
    assert "prochain numéro de facture" not in html.unescape(page)
