"""Single sign-on in French, in Chromium: the demo firm is set to a real OpenID provider
(node's oidc-provider, started here); a member goes from the sign-in page to it by the
keyboard, through its login and consent pages, and lands on the invoices. axe-core
checks our pages (the provider's own pages are not ours to judge)."""

import pytest
from playwright.sync_api import expect

from facturier.access import actions as access_actions
from facturier.firms.models import AuditEvent, User
from tests.e2e.conftest import shot, watch_accessibility
from tests.e2e.test_keyboard import assert_ring
from tests.oidc import CLIENT_ID, CLIENT_SECRET, running_provider

pytestmark = pytest.mark.e2e


def test_a_member_signs_in_through_the_firms_provider_and_lands_on_the_invoices(
    chromium, live_server, demo
):
    alice = User.objects.get(username="alice")
    with running_provider([f"{live_server.url}/login/sso/callback/"]) as issuer:
        access_actions.save_single_sign_on(
            alice.firm,
            by=alice,
            fields={"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        context = chromium.new_context(locale="fr-FR", reduced_motion="reduce")
        context.set_default_timeout(10_000)
        violations: list[str] = []
        watch_accessibility(context, violations)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        button = page.get_by_role(
            "button", name="Se connecter avec l'authentification unique de votre cabinet"
        )
        button.focus()
        assert_ring(page, "sso button")
        page.keyboard.press("Enter")
        page.wait_for_url("**/login/sso/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Se connecter avec l'authentification unique de votre cabinet"
        )
        page.get_by_label("Votre adresse e-mail professionnelle").fill("bob@example.com")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Continuer")).to_be_focused()
        assert_ring(page, "continue")
        shot(page, "fr-53-authentification-unique")
        page.keyboard.press("Enter")

        # The provider's own pages: its login (any password), then its consent.
        page.wait_for_url(f"{issuer}/interaction/**")
        page.fill("input[name=login]", "bob@example.com")
        page.fill("input[name=password]", "un mot de passe")
        page.click("button[type=submit]")
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url("**/billing/invoices/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shot(page, "fr-54-connecte-par-authentification-unique")
        page.evaluate("() => window.__axeCheck && window.__axeCheck()")
        page.wait_for_timeout(500)
        context.close()
    ours = [v for v in violations if not v.startswith(("/interaction/", "/auth"))]
    assert ours == [], "\n".join(ours)
    signed = AuditEvent.objects.filter(action="sign_in.succeeded", actor__username="bob")
    assert signed.get().details["second_factor"] == "sso"
