"""A budget typed in French on the engagement's page, time logged against its mission
past 80 %: the figures on the page and the report, and the alert e-mail, once."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from facturier.clients.models import Client
from facturier.engagements import actions
from facturier.engagements.models import BudgetAlert
from facturier.firms.models import User
from tests.e2e.conftest import shot
from tests.e2e.test_keyboard import assert_ring

pytestmark = pytest.mark.e2e


@pytest.fixture
def engagement():
    alice = User.objects.get(username="alice")
    User.objects.filter(pk=alice.pk).update(language="fr")
    client = Client.objects.create(
        firm=alice.firm,
        name="Boulangerie Budget",
        address_line1="3 rue du Four",
        postal_code="75006",
        city="Paris",
        language="fr",
        currency="EUR",
    )
    client.owners.add(alice)
    today = timezone.localdate()
    return actions.create_engagement(
        client,
        by=User.objects.get(pk=alice.pk),
        fields={
            "reference": "LM-BUDGET-1",
            "start_date": today.replace(month=1, day=1),
            "tacit_renewal": True,
        },
        missions=[{"name": "Conseil fiscal", "fee_kind": "time"}],
    )


def test_a_budget_typed_in_french_then_time_past_80_percent(open_as, smtp_server, engagement):
    mission = engagement.missions.get()
    page = open_as("alice", locale="fr-FR")
    page.goto(f"{page.base}/billing/engagements/{engagement.pk}/")
    expect(page.get_by_role("heading", name="Budget et réalisé")).to_be_visible()
    form = page.locator("#budget-form")
    form.get_by_label("Mission").select_option(str(mission.pk))
    form.get_by_label("Heures budgétées").fill("10")
    form.get_by_label("Honoraires budgétés").fill("50 000,00")
    # The keyboard alone submits it: Tab reaches the button, with its focus ring.
    form.get_by_label("Honoraires budgétés").press("Tab")
    button = form.get_by_role("button", name="Ajouter le budget")
    expect(button).to_be_focused()
    assert_ring(page, "Ajouter le budget")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("Budget")
    expect(page.locator("#budgets")).to_contain_text("50\u202f000,00")

    page.get_by_role("link", name="Temps", exact=True).click()
    page.get_by_label("Client").select_option(str(engagement.client_id))
    page.get_by_label("Code de travail").select_option("FISC")
    page.get_by_label("Mission").select_option(str(mission.pk))
    page.get_by_label("Heures").fill("8:30")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("Saisie enregistrée")
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [80]

    call_command("outbox_worker", once=True, interval=0)
    call_command("outbox_worker", once=True, interval=0)
    # The demo's own outbox goes too: the alert is the one budget message, to alice.
    alerts = [
        (recipients, message)
        for recipients, message in smtp_server.handler.received
        if message["Subject"].strip().startswith("Budget")
    ]
    [(recipients, message)] = alerts
    assert recipients == ["alice@example.com"]
    assert message["Subject"].strip() == "Budget atteint à 80 % : Conseil fiscal (LM-BUDGET-1)"
    assert "heures : 8,5 sur 10 (85 %)" in message.get_body().get_content()

    page.goto(f"{page.base}/billing/engagements/{engagement.pk}/")
    row = page.locator(f"#budget-lines tr[data-mission='{mission.pk}']")
    expect(row).to_contain_text("8,5")
    expect(row).to_contain_text("85 %")
    expect(page.locator("svg[data-chart='budget']")).to_be_visible()
    shot(page, "fr-75-budget")
    page.get_by_role("link", name="Lettres de mission", exact=True).click()
    page.get_by_role("link", name="Budgets et réalisé").click()
    expect(page.locator("#budget-report")).to_contain_text("LM-BUDGET-1")
    expect(page.locator("#budget-report")).to_contain_text("Conseil fiscal")


def test_a_budget_refused_brings_the_focus_to_the_field_to_mend(open_as, engagement):
    """Back with errors, the keyboard starts at the first field refused, its error read
    with it (aria-describedby), not at the top of the page."""
    page = open_as("alice", locale="fr-FR")
    page.goto(f"{page.base}/billing/engagements/{engagement.pk}/")
    form = page.locator("#budget-form")
    form.get_by_label("Heures budgétées").fill("dix")
    form.get_by_label("Honoraires budgétés").fill("1 000")
    form.get_by_role("button", name="Ajouter le budget").click()
    hours = page.locator("#budget-form").get_by_label("Heures budgétées")
    expect(hours).to_be_focused()
    expect(hours).to_have_value("dix")
    expect(hours).to_have_accessible_description(re.compile("Saisissez un nombre."))
    assert not BudgetAlert.objects.exists() and not engagement.missions.get().budgets.exists()
