"""The personal-data export covers what engagements hold about a person: the letters'
e-mails a contact received, and the budget alerts (and their e-mails) sent to a member."""

import datetime

import pytest

from facturier.access.models import AccountEmail
from facturier.engagements import actions
from facturier.privacy import actions as privacy
from facturier.work import actions as work_actions

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def test_a_contact_export_lists_the_engagement_letters_emailed_to_them(
    settings_user, alice, client_entity, engagement
):
    templates = {row.language: row for row in actions.seed_letter_templates(alice.firm_id)}
    letter = actions.create_letter(engagement, by=alice, template=templates["fr"], now=NOW)
    actions.send_letter(letter, by=alice, now=NOW)
    contact = client_entity.contacts.get()
    data = privacy.export_contact_data(contact, by=settings_user)
    (email,) = data["engagement_letter_emails"]
    assert email["engagement"] == engagement.reference and email["letter_version"] == 1
    assert email["to"] == ["compta@client.example"]
    assert email["status"] == "queued" and email["sent_at"] is None
    assert "Lettre de mission" in email["subject"]


def test_a_member_export_lists_the_budget_alerts_and_their_emails(
    settings_user, worker, client_entity, engagement
):
    mission = engagement.missions.get(name="Tenue comptable")
    actions.add_budget(mission, by=worker, year=2027, hours="10", fees="5000")
    work_actions.record_entries(
        [{"client": client_entity.pk, "work_code": "COMPTA", "day": "2027-03-01", "hours": "9"}],
        by=worker,
    )
    actions.check_budgets(mission_ids=[mission.pk], firm_id=worker.firm_id)  # after commit
    assert AccountEmail.objects.filter(purpose="budget_alert").count() == 1
    data = privacy.export_member_data(worker, by=settings_user)
    (alert,) = data["budget_alerts"]
    assert (alert["mission"], alert["year"], alert["threshold"]) == ("Tenue comptable", 2027, 80)
    (email,) = data["emails"]
    assert email["purpose"] == "budget_alert" and email["to"] == ["alice@cabinet.example"]
    assert "Tenue comptable" in email["subject"]
    assert "body" not in email
