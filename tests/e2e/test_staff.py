"""A colleague joins, in French, in Chromium: the administrator invites them from
Settings → Équipe, the e-mail arrives over SMTP once the worker runs, the colleague
chooses a name and a password, signs out, and signs back in."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from facturier.access import account_outbox
from facturier.outbox import engine
from tests.e2e.conftest import shot, watch_accessibility

pytestmark = pytest.mark.e2e

PASSWORD = "Lune-de-mars-42"


def run_worker():
    for pk in engine.due(account_outbox.ACCOUNT_EMAILS.model, timezone.now()).values_list(
        "pk", flat=True
    ):
        account_outbox.deliver(pk)


def test_the_administrator_invites_a_colleague_who_joins(open_as, chromium, smtp_server):
    page = open_as("alice", locale="fr-FR")
    page.goto(page.base + "/settings/templates/")
    page.get_by_role("link", name="Équipe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Équipe")
    page.get_by_label("E-mail").fill("claire.martin@cabinet.example")
    page.get_by_label("Traitement (factures, paiements, relances)").check()
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Invitation envoyée à claire.martin@cabinet.example"
    )
    invitations = page.get_by_role("region", name="Invitations en attente")
    expect(invitations).to_contain_text("claire.martin@cabinet.example")
    shot(page, "fr-40-equipe-invitation")

    run_worker()
    [(recipients, message)] = smtp_server.handler.received
    assert recipients == ["claire.martin@cabinet.example"]
    text = message.get_body(("plain",)).get_content()
    assert "vous invite à rejoindre" in text
    link = re.search(r"https?://\S+/invitations/\S+/", text).group(0)

    context = chromium.new_context(locale="fr-FR", reduced_motion="reduce")
    violations = []
    watch_accessibility(context, violations)
    colleague = context.new_page()
    colleague.goto(link)
    expect(colleague.get_by_role("heading", level=1)).to_contain_text("Rejoindre")
    colleague.get_by_label("Prénom").fill("Claire")
    colleague.locator("#id_last_name").fill("Martin")
    expect(colleague.locator("label[for=id_last_name]")).to_contain_text("Nom")
    colleague.locator("#id_password1").fill(PASSWORD)
    colleague.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    colleague.get_by_role("button", name="Créer mon compte").click()
    expect(colleague.locator(".flash-success")).to_contain_text("Bienvenue")
    colleague.get_by_role("button", name="Déconnexion").click()
    colleague.wait_for_url("**/login/")
    colleague.fill("input[name=username]", "claire.martin@cabinet.example")
    colleague.fill("input[name=password]", PASSWORD)
    colleague.click("main button[type=submit]")
    colleague.wait_for_url("**/billing/invoices/")
    shot(colleague, "fr-41-collegue-connectee")
    context.close()
    assert violations == [], "\n".join(violations)

    page.goto(page.base + "/settings/staff/")
    members = page.get_by_role("region", name="Membres")
    expect(members).to_contain_text("Claire Martin")
    expect(invitations).to_contain_text("Aucune invitation en attente")
