"""The Clients tab in French, in Chromium: a client created (an invalid SIREN refused
beside its field first), then clients imported from a CSV file, checked first."""

import pytest
from playwright.sync_api import expect

from facturier.clients.models import Client
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def test_creating_a_client_then_importing_a_csv(open_as, tmp_path):
    page = open_as("alice", locale="fr-FR")
    page.get_by_role("link", name="Clients", exact=True).click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    page.get_by_role("button", name="Nouveau client").click()
    page.get_by_label("Nom", exact=False).first.fill("Boulangerie Dupont")
    page.get_by_label("SIREN / identifiant d'entreprise").fill("732 829 321")
    page.get_by_role("button", name="Enregistrer").click()
    # The message the field is described by, as a screen reader finds it.
    error = page.locator(
        "#"
        + page.get_by_label("SIREN / identifiant d'entreprise")
        .get_attribute("aria-describedby")
        .split()[-1]
    )
    expect(error).to_contain_text("732 829 321 n'est pas un SIREN valide")
    shot(page, "fr-60-client-siren-refuse")
    page.get_by_label("SIREN / identifiant d'entreprise").fill("732 829 320")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("Client Boulangerie Dupont créé")
    expect(page.locator("[data-company-id]")).to_have_text("732829320")
    assert Client.objects.filter(name="Boulangerie Dupont", company_id="732829320").exists()

    page.get_by_role("link", name="Clients", exact=True).first.click()
    page.get_by_text("Importer des clients depuis un fichier CSV").click()
    csv = tmp_path / "clients.csv"
    csv.write_bytes(
        "Nom;SIREN;Ville;Courriel\nÉpicerie Fine;552100554;Lyon;compta@epicerie.example\n"
        "Doublon;732829320;Paris;\n".encode("cp1252")
    )
    page.get_by_label("Fichier CSV").set_input_files(str(csv))
    page.get_by_role("button", name="Vérifier").click()
    expect(page.locator("#import-result")).to_contain_text("1 ligne refusée sur 2")
    expect(page.locator("#refused tbody")).to_contain_text("Même SIREN que Boulangerie Dupont")
    shot(page, "fr-61-import-clients-refus")

    csv.write_bytes(
        "Nom;SIREN;Ville;Courriel\nÉpicerie Fine;552100554;Lyon;compta@epicerie.example\n".encode(
            "cp1252"
        )
    )
    page.get_by_role("link", name="Clients", exact=True).first.click()
    page.get_by_text("Importer des clients depuis un fichier CSV").click()
    page.get_by_label("Fichier CSV").set_input_files(str(csv))
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.locator("#import-result")).to_contain_text("1 client créé")
    assert Client.objects.get(name="Épicerie Fine").billing_contact.email == (
        "compta@epicerie.example"
    )
