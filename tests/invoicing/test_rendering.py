import io
import string

import pytest
from babel.numbers import format_currency
from fontTools.ttLib import TTFont
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from facturier.core.formatting import Formatter
from facturier.invoicing import actions, documents
from facturier.invoicing.documents.renderer import FONTS
from facturier.invoicing.models import InvoicePdf, InvoiceTemplate
from tests.images import png

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def normalized(text: str) -> str:
    # Babel groups thousands with narrow no-break spaces; compare on plain spaces.
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def french_firm(firm):
    firm.late_payment_penalty_rate = "12.15"
    firm.recovery_indemnity = "40.00"
    firm.iban = "FR7630006000011234567890189"
    firm.save()
    return firm


def test_finalized_pdf_shows_number_totals_and_legal_mentions(
    french_firm, make_draft, alice, template
):
    invoice = actions.finalize_invoice(
        make_draft(
            lines=[
                {
                    "description": "Établissement des comptes annuels",
                    "quantity": "1",
                    "unit_price": "1850",
                    "vat_rate": "20",
                },
                {
                    "description": "Déclaration de TVA — trimestre",
                    "quantity": "3",
                    "unit_price": "120.50",
                    "vat_rate": "5.5",
                },
            ]
        ),
        by=alice,
    )
    text = normalized("\n".join(text_of(actions.pdf_for(invoice))))
    for expected in [
        "Facture",
        "0000001",
        "Cabinet Test",
        "SIREN 123456782",
        "N° TVA FR11123456782",
        "IBAN FR76 3000 6000 0112 3456 7890 189",  # in groups of four, as people read it
        "Client SA",
        "2 rue du Bac",
        "75007 Paris",
        "Établissement des comptes annuels",
        "Déclaration de TVA — trimestre",
        "1 850,00 €",
        "361,50 €",  # line nets
        "Total HT",
        "2 211,50 €",
        "TVA 20 % sur 1 850,00 €",
        "370,00 €",
        "TVA 5,5 % sur 361,50 €",
        "19,88 €",
        "Total TTC",
        "2 601,38 €",
        "pénalités au taux annuel de 12,15 %",
        "Indemnité forfaitaire pour frais de recouvrement",
        "40,00 €",
        "Page 1 sur 1",
    ]:
        assert expected in text, expected


def test_english_client_gets_english_labels_and_formats(firm, make_client, alice, template):
    client = make_client(firm, "Northwind Ltd", language="en", currency="GBP", country="GB")
    client.owners.add(alice)
    invoice = actions.create_draft(
        by=alice,
        client=client,
        lines=[
            {
                "description": "Tax advisory",
                "quantity": "2",
                "unit_price": "1234.5",
                "vat_rate": "0",
            }
        ],
        exchange_rate="1.17",
    )
    invoice = actions.finalize_invoice(invoice, by=alice)
    text = normalized(text_of(actions.pdf_for(invoice))[0])
    assert "Invoice" in text and "Total incl. VAT" in text
    assert "£2,469.00" in text
    assert invoice.issue_date.strftime("%B") in text  # a long English date


@pytest.mark.parametrize(
    "evil",
    [
        "#sys.exit()",
        "*bold* _under_",
        "<script>alert(1)</script>",
        "$x^2$",
        '#import "/etc/passwd"',
        "#{ panic() }",
        "\\u{1F600} // not a comment",
        "@ref <label>",
    ],
)
def test_user_text_prints_literally(draft, alice, evil):
    actions.update_draft(
        draft,
        by=alice,
        notes=evil,
        lines=[{"description": evil, "unit_price": "1", "vat_rate": "20"}],
    )
    draft.refresh_from_db()
    text = text_of(actions.pdf_for(draft))[0]
    assert text.count(evil) == 2  # the line and the notes, as typed


def test_draft_preview_is_watermarked_and_has_no_number(draft, alice, template):
    text = text_of(actions.pdf_for(draft))[0]
    assert "BROUILLON" in text
    assert "Brouillon : facture non valable" in text
    assert "0000001" not in text
    assert not InvoicePdf.objects.exists()  # a preview is never stored


def test_finalized_pdf_is_byte_identical_after_the_template_changes(finalized, template):
    first = actions.pdf_for(finalized)
    template.accent_color = "#ff0000"
    template.footer_text = "Nouveau pied de page"
    template.font = "Libertinus Serif"
    template.save()
    again = actions.pdf_for(type(finalized).objects.get(pk=finalized.pk))
    assert again == first
    assert "Nouveau pied de page" not in text_of(again)[0]


def test_rendering_a_snapshot_is_deterministic(finalized):
    one = documents.render_snapshot(finalized.snapshot, timestamp=finalized.finalized_at)
    two = documents.render_snapshot(finalized.snapshot, timestamp=finalized.finalized_at)
    assert one == two


@pytest.mark.django_db(transaction=True)
def test_pdf_is_rendered_by_the_worker_once_the_finalization_commits(draft, alice, template):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    invoice = actions.finalize_invoice(draft, by=alice)
    assert not InvoicePdf.objects.exists()  # not in the finalizing request
    # Its task was written with it (the same transaction): one, for this invoice.
    assert DBTaskResult.objects.filter(args_kwargs__args=[invoice.pk]).count() == 1
    call_command("outbox_worker", once=True)
    stored = InvoicePdf.objects.get(invoice=invoice)
    assert bytes(stored.pdf) == actions.pdf_for(invoice)
    assert bytes(stored.pdf).startswith(b"%PDF")


def test_long_invoice_repeats_the_table_header_and_numbers_pages(make_draft, alice, template):
    lines = [
        {
            "description": f"Prestation n° {i} — écriture comptable",
            "unit_price": "10",
            "vat_rate": "20",
        }
        for i in range(120)
    ]
    invoice = actions.finalize_invoice(make_draft(lines=lines), by=alice)
    pages = text_of(actions.pdf_for(invoice))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Désignation" in page and "Montant HT" in page
        assert f"Page {number} sur {len(pages)}" in page
    assert "Prestation n° 119" in pages[-1]
    assert "1 440,00 €" in normalized(pages[-1])  # 1200 + 20 % VAT


def test_template_logo_is_drawn(firm, make_draft, alice):
    template = InvoiceTemplate.objects.create(
        firm=firm, name="Logo", is_default=True, logo=png(), logo_content_type="image/png"
    )
    invoice = actions.finalize_invoice(make_draft(), by=alice, template=template)
    page = PdfReader(io.BytesIO(actions.pdf_for(invoice))).pages[0]
    assert len(page.images) == 1


def test_hidden_blocks_are_not_printed(french_firm, make_draft, alice):
    template = InvoiceTemplate.objects.create(
        firm=french_firm,
        name="Minimal",
        show_bank_details=False,
        show_payment_terms=False,
        show_page_numbers=False,
    )
    invoice = actions.finalize_invoice(make_draft(), by=alice, template=template)
    text = text_of(actions.pdf_for(invoice))[0]
    assert "FR76 3000" not in text and "FR7630006000011234567890189" not in text
    assert "pénalités" not in text
    assert "Page 1 sur 1" not in text


def test_preview_png_for_the_template_editor(finalized):
    image = documents.render_preview_png(finalized.snapshot)
    assert image.startswith(b"\x89PNG")


def finalized_for(client, alice):
    """One line of 900 at 0 % VAT, finalized by alice for a client of hers."""
    client.owners.add(alice)
    line = {"description": "Audit", "unit_price": "900", "vat_rate": "0"}
    return actions.finalize_invoice(
        actions.create_draft(by=alice, client=client, lines=[line]), by=alice
    )


def test_zero_rate_invoices_print_their_legal_mention(firm, make_client, alice, template):
    client = make_client(firm, "Berlin GmbH", country="DE", vat_number="DE123456789")
    invoice = finalized_for(client, alice)
    text = normalized(text_of(actions.pdf_for(invoice))[0])
    assert "Autoliquidation : TVA due par le preneur, art. 283-2 du CGI." in text


def test_names_in_other_scripts_print_in_the_fallback_font(firm, make_client, alice, template):
    # Greek has no glyphs in the shipped Inter files: it falls back to Libertinus Serif.
    client = make_client(firm, "Ωμέγα Λογιστική ΑΕ", country="GR", vat_number="EL123456789")
    invoice = finalized_for(client, alice)
    page = PdfReader(io.BytesIO(actions.pdf_for(invoice))).pages[0]
    assert "Ωμέγα Λογιστική ΑΕ" in page.extract_text()
    fonts = {font["/BaseFont"] for font in page["/Resources"]["/Font"].values()}
    assert any("Inter" in name for name in fonts)
    assert any("Libertinus" in name for name in fonts)


def test_shipped_fonts_cover_what_invoices_print():
    needed = (
        string.ascii_letters
        + string.digits
        + string.punctuation
        + "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ"  # French
        + "ąćęłńśźżĄĆĘŁŃŚŹŻčďěňřšťůžČĎĚŇŘŠŤŮŽßñÑãõÃÕğışİŞ"  # other Latin-script names
        + "€£$¥₹%°№«»‘’“”–—…·•−"
        + "\u00a0\u202f\u2009"  # Babel's no-break and narrow no-break spaces
    )
    fonts = sorted(FONTS.glob("Inter_*.ttf"))
    assert [path.name for path in fonts] == ["Inter_400Regular.ttf", "Inter_600SemiBold.ttf"]
    for path in fonts:
        cmap = TTFont(path).getBestCmap()
        assert [c for c in needed if ord(c) not in cmap] == [], path.name


@given(
    amount=st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False),
    language=st.sampled_from(["fr", "en", "de"]),
    currency=st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY", "SEK", "KWD"]),
)
def test_amounts_print_as_babel_formats_them(amount, language, currency):
    formatter = Formatter(language, currency)
    assert formatter.money(amount) == format_currency(amount, currency, locale=formatter.locale)


def test_a_long_reference_wraps_inside_its_column(draft, alice):
    reference = "REF" + "A1B2C3D4E5" * 14  # no break opportunity in 143 characters
    actions.update_draft(
        draft,
        by=alice,
        lines=[{"description": reference, "quantity": "2", "unit_price": "150", "vat_rate": "20"}],
    )
    draft.refresh_from_db()
    text = normalized(text_of(actions.pdf_for(draft))[0]).replace("\u200b", "")
    lines = text[text.index("REFA1B2") :].splitlines()
    amounts = next(i for i, line in enumerate(lines) if "300,00 €" in line)
    # The reference takes three lines of the description column, nothing of
    # the reference is lost, and its amounts read after it in their columns.
    assert amounts >= 3
    assert "".join(lines[:amounts]) == reference
    assert lines[amounts] == "2 150,00 € 20 % 300,00 €"


def test_the_fallback_fonts_cover_chinese_japanese_and_korean():
    han_kana = "上海会计师事务所有限公司株式会社テスト"
    hangul = "한국회계법인"
    droid = TTFont(FONTS / "DroidSansFallbackFull.ttf").getBestCmap()
    nanum = TTFont(FONTS / "NanumGothic.ttf").getBestCmap()
    assert [c for c in han_kana if ord(c) not in droid] == []
    assert [c for c in hangul if ord(c) not in nanum] == []
