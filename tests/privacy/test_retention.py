"""The retention pass: former contacts and staff past the firm's period are erased
once; a second run changes nothing."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from facturier.access import actions as access_actions
from facturier.clients import actions as client_actions
from facturier.clients.models import Contact
from facturier.firms import actions as firm_actions
from facturier.firms.models import AuditEvent, User
from facturier.privacy.retention import apply_retention

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(days=3 * 366 + 1)


def _state():
    return (
        list(Contact.objects.order_by("pk").values_list("pk", "name", "email", "erased_at")),
        list(User.objects.order_by("pk").values_list("pk", "username", "erased_at")),
        AuditEvent.objects.count(),
    )


def test_run_twice_the_pass_erases_once(admin, alice, staff, client_entity, make_client, firm):
    kept = make_client(firm, "Client actif")  # not archived: its contact stays
    client_actions.archive_client(client_entity, by=admin)
    access_actions.deactivate_member(staff["neither"], by=admin)
    now = timezone.now() + LATER

    assert apply_retention(now=now) == {"contacts": 1, "staff": 1}
    assert client_entity.contacts.get().erased_at is not None
    assert kept.contacts.get().erased_at is None
    assert str(User.objects.get(pk=staff["neither"].pk)) == "Erased person"
    assert User.objects.get(pk=alice.pk).erased_at is None  # active
    rows = AuditEvent.objects.filter(action__in=["contact.erased", "staff.erased"])
    assert rows.count() == 2
    assert all(row.actor_id is None for row in rows)
    assert rows.first().details["reason"] == "Retention period of 3 years past"

    before = _state()
    assert apply_retention(now=now) == {"contacts": 0, "staff": 0}
    assert _state() == before


def test_nobody_is_erased_before_the_period_ends(admin, staff, client_entity):
    client_actions.archive_client(client_entity, by=admin)
    access_actions.deactivate_member(staff["neither"], by=admin)
    almost = timezone.now() + datetime.timedelta(days=3 * 365 - 2)
    assert apply_retention(now=almost) == {"contacts": 0, "staff": 0}


def test_the_firm_s_period_is_a_setting(admin, staff, client_entity, firm, client):
    firm_actions.update_firm_settings(
        firm.pk, by=admin, fields={"personal_data_retention_years": 5}
    )
    client_actions.archive_client(client_entity, by=admin)
    assert apply_retention(now=timezone.now() + LATER) == {"contacts": 0, "staff": 0}
    assert apply_retention(now=timezone.now() + datetime.timedelta(days=5 * 366 + 1)) == {
        "contacts": 1,
        "staff": 0,
    }
    client.force_login(admin)
    answer = client.post("/settings/security/retention/", {"years": "0"}, follow=True)
    assert (
        "personal_data_retention_years"
        in AuditEvent.objects.filter(action="firm.settings_changed").last().details
    )
    firm.refresh_from_db()
    assert firm.personal_data_retention_years == 5  # 0 is refused
    assert answer.status_code == 200


def test_the_command_says_what_it_erased(admin, client_entity, capsys):
    call_command("apply_retention")
    assert "0 contacts, 0 staff members" in capsys.readouterr().out


def test_the_worker_runs_the_pass_once_a_day():
    from facturier.outbox import kinds

    (job,) = [job for job in kinds.periodic() if job.name == "retention"]
    assert (job.seconds, job.run) == (24 * 3600, apply_retention)
