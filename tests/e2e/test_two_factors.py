"""Two-factor sign-in in French, in Chromium: a member sets up an authenticator app from
Paramètres → Sécurité (the code computed here from the key the page shows, as the app
would), keeps the recovery codes, signs out, and signs back in with password and code."""

import base64

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.e2e.conftest import shot, watch_accessibility

pytestmark = pytest.mark.e2e


def code_for(secret: str, steps_ahead: int = 0) -> str:
    return f"{totp(base64.b32decode(secret.replace(' ', '')), drift=steps_ahead):06d}"


def test_a_member_sets_up_an_app_and_signs_in_with_password_and_code(open_as):
    page = open_as("alice", locale="fr-FR")
    page.goto(page.base + "/settings/tokens/")
    page.get_by_role("link", name="Sécurité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sécurité")
    expect(page.get_by_role("img", name="QR code à scanner")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Le code affiché par l'application").fill(code_for(secret))
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.locator(".flash-success").first).to_contain_text("est configurée")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    expect(page.locator("#session-list")).to_contain_text("cette session")
    shot(page, "fr-50-securite-codes-de-secours")

    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_url("**/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "facturier-demo")
    page.click("main button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de connexion")
    code = page.get_by_label("Code de votre application d'authentification")
    code.fill("000000" if code_for(secret, 1) != "000000" else "111111")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n'est pas le bon")
    page.get_by_label("Code de votre application d'authentification").fill(code_for(secret, 1))
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/billing/invoices/")
    shot(page, "fr-51-connecte-avec-code")


def test_the_firm_requires_two_factors_and_a_member_is_led_to_set_one_up(
    open_as, chromium, live_server
):
    page = open_as("alice", locale="fr-FR")
    page.goto(page.base + "/settings/security/")
    page.get_by_role("switch", name="Double authentification obligatoire").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("désormais obligatoire")

    context = chromium.new_context(locale="fr-FR", reduced_motion="reduce")
    violations = []
    watch_accessibility(context, violations)
    dave = context.new_page()
    dave.goto(f"{live_server.url}/login/?next=/billing/invoices/")
    dave.fill("input[name=username]", "dave")
    dave.fill("input[name=password]", "facturier-demo")
    dave.click("main button[type=submit]")
    dave.wait_for_url("**/settings/security/")
    expect(dave.locator("#messages")).to_contain_text("Votre cabinet exige la double")
    dave.goto(f"{live_server.url}/billing/invoices/")
    dave.wait_for_url("**/settings/security/")
    secret = dave.locator("#totp-secret").inner_text()
    dave.get_by_label("Le code affiché par l'application").fill(code_for(secret))
    dave.get_by_role("button", name="Activer la double authentification").click()
    expect(dave.locator("#recovery-codes li")).to_have_count(10)
    dave.goto(f"{live_server.url}/billing/invoices/")
    expect(dave.get_by_role("heading", level=1)).to_be_visible()
    assert dave.url.endswith("/billing/invoices/")
    shot(dave, "fr-52-double-authentification-obligatoire")
    context.close()
    assert violations == [], "\n".join(violations)
