"""The engagement letter in French, in Chromium: made from the engagement's page with the
keyboard, sent (the SMTP server receives it with its PDF), the signed copy uploaded
("Signée"), then marked active; each step on the engagement's history."""

import datetime
import io

import pypdfium2
import pytest
from playwright.sync_api import expect

from facturier.clients.models import Client
from facturier.engagements import actions
from facturier.engagements.letter_models import EngagementLetter
from facturier.engagements.letter_outbox import deliver
from facturier.firms.models import User
from tests.e2e.conftest import shot
from tests.e2e.test_keyboard import assert_ring

pytestmark = pytest.mark.e2e


def signed_copy(tmp_path):
    document = pypdfium2.PdfDocument.new()
    document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    path = tmp_path / "lettre-signée.pdf"
    path.write_bytes(out.getvalue())
    return path


def test_a_letter_made_sent_signed_and_active(open_as, smtp_server, tmp_path):
    alice = User.objects.get(username="alice")
    client = Client.objects.filter(firm=alice.firm, language="fr").order_by("pk")[1]
    engagement = actions.create_engagement(
        client,
        by=alice,
        fields={
            "reference": "LM-E2E-LETTRE",
            "start_date": datetime.date(2027, 1, 1),
            "tacit_renewal": True,
            "payment_terms_days": 30,
        },
        missions=[
            {
                "name": "Tenue comptable",
                "fee_kind": "fixed",
                "annual_fee": "1200",
                "frequency": "quarterly",
                "timing": "advance",
            }
        ],
    )
    page = open_as("alice", locale="fr-FR")
    page.get_by_role("link", name="Lettres de mission", exact=True).click()
    page.get_by_role("link", name="LM-E2E-LETTRE").click()
    letter_section = page.locator("#letter")
    expect(letter_section).to_contain_text("La version 1 n'a pas encore de lettre.")

    # Made with the keyboard: the template chosen, Tab to the button, Enter.
    page.get_by_label("Modèle de lettre").select_option(
        label="Lettre de mission (standard) (Français)"
    )
    page.get_by_label("Modèle de lettre").focus()
    page.keyboard.press("Tab")
    make = page.get_by_role("button", name="Établir la lettre")
    expect(make).to_be_focused()
    assert_ring(page, "Établir la lettre")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("Lettre de mission établie")
    expect(page.locator("#letter-status")).to_have_text("Brouillon")
    shot(page, "fr-71-lettre-de-mission-brouillon")

    page.get_by_role("button", name="Envoyer la lettre").click()
    expect(page.locator(".flash-success")).to_contain_text("Lettre de mission envoyée")
    expect(page.locator("#letter-status")).to_have_text("Envoyée")
    letter = EngagementLetter.objects.get(engagement=engagement)
    assert deliver(letter.emails.get().pk) == "sent"
    ((recipients, message),) = smtp_server.handler.received
    assert recipients == [client.billing_contact.email]
    assert str(message["Subject"]).strip().startswith("Lettre de mission LM-E2E-LETTRE")
    (attachment,) = list(message.iter_attachments())
    text = pypdfium2.PdfDocument(attachment.get_content())[0].get_textpage().get_text_range()
    assert "Lettre de mission" in text and "version 1" in text

    page.reload()
    expect(page.locator("#engagement-history")).to_contain_text("Lettre de mission remise")
    page.get_by_label("Exemplaire signé (PDF)").set_input_files(str(signed_copy(tmp_path)))
    page.get_by_role("button", name="Signée sur papier : enregistrer l'exemplaire signé").click()
    expect(page.locator(".flash-success")).to_contain_text("Exemplaire signé enregistré")
    expect(page.locator("#letter-status")).to_have_text("Signée")
    expect(page.get_by_role("link", name="Afficher l'exemplaire signé")).to_be_visible()

    page.get_by_role("button", name="Marquer la lettre active").click()
    expect(page.locator("#letter-status")).to_have_text("Active")
    history = page.locator("#engagement-history")
    for step in (
        "Lettre de mission établie",
        "Lettre de mission envoyée",
        "Lettre de mission signée",
    ):
        expect(history).to_contain_text(step)
    shot(page, "fr-72-lettre-de-mission-active")

    page.get_by_role("link", name="Lettres de mission", exact=True).click()
    page.locator("#engagement-filters select[name=letter_status]").select_option("active")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#engagements tbody tr")).to_have_count(1)
    expect(page.locator("#engagements")).to_contain_text("LM-E2E-LETTRE")
