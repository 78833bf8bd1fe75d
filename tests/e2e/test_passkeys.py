"""Passkeys in French, in Chromium: a member registers a passkey from Paramètres →
Sécurité with the browser's own WebAuthn (a virtual authenticator through the Chrome
DevTools Protocol, as a laptop's fingerprint reader would answer), signs out, and signs
back in with the password and the passkey."""

import pytest
from playwright.sync_api import expect

from facturier.access.models import Passkey
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def virtual_authenticator(page) -> tuple:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, found["authenticatorId"]


def test_a_member_registers_a_passkey_and_signs_in_with_it(open_as):
    page = open_as("alice", locale="fr-FR")
    cdp, authenticator = virtual_authenticator(page)
    page.goto(page.base + "/settings/security/")
    expect(page.get_by_role("heading", name="Clés d'accès")).to_be_visible()
    page.get_by_label("Nom de la nouvelle clé d'accès").fill("Portable du bureau")
    page.get_by_role("button", name="Ajouter une clé d'accès").click()
    expect(page.locator(".flash-success").first).to_contain_text("clé d'accès est enregistrée")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    expect(page.locator("#passkey-list")).to_contain_text("Portable du bureau")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    shot(page, "fr-53-cle-d-acces-enregistree")

    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_url("**/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "facturier-demo")
    page.click("main button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de connexion")
    page.get_by_role("button", name="Utiliser une clé d'accès").click()
    page.wait_for_url("**/billing/invoices/")
    key = Passkey.objects.get(user__username="alice")
    assert key.sign_count >= 1 and key.last_used_at is not None
    shot(page, "fr-54-connecte-avec-cle-d-acces")
