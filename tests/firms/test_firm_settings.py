"""The firm's settings and its staff's preferences: changed by the settings right only,
checked as the forms check them, and each change in the firm's audit trail."""

import pytest
from django.contrib.auth.models import Permission

from facturier.core.errors import Invalid, NotAllowed
from facturier.firms import actions
from facturier.firms.models import AuditEvent, Firm

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(alice).objects.get(pk=alice.pk)


def test_a_change_is_audited_with_what_it_was_and_became(firm, manager):
    actions.update_firm_settings(firm, by=manager, fields={"city": "Lyon", "postal_code": "75001"})
    firm.refresh_from_db()
    assert firm.city == "Lyon"
    event = AuditEvent.objects.get(action="firm.settings_changed")
    assert (event.actor, event.firm_id, event.details) == (
        manager,
        firm.pk,
        {"city": ["Paris", "Lyon"]},  # the postal code was already so: not a change
    )
    actions.update_firm_settings(firm, by=manager, fields={"city": "Lyon"})
    assert AuditEvent.objects.filter(action="firm.settings_changed").count() == 1


def test_only_the_settings_right_of_the_same_firm_changes_them(firm, staff, manager, make_firm):
    with pytest.raises(NotAllowed):
        actions.update_firm_settings(firm, by=staff["processor_only"], fields={"city": "Lyon"})
    other = make_firm("Autre cabinet")
    with pytest.raises(NotAllowed):
        actions.update_firm_settings(other, by=manager, fields={"city": "Lyon"})
    with pytest.raises(Invalid) as refused:
        actions.update_firm_settings(firm, by=manager, fields={"created_at": "2020-01-01"})
    assert refused.value.codes == {"created_at": ["read_only"]}
    assert set(Firm.objects.values_list("city", flat=True)) == {"Paris"}
    assert not AuditEvent.objects.exists()


def test_a_language_choice_is_kept_and_audited_once(alice):
    actions.set_language_preference(by=alice, language="fr")
    actions.set_language_preference(by=alice, language="fr")
    alice.refresh_from_db()
    assert alice.language == "fr"
    event = AuditEvent.objects.get(action="staff.language_changed")
    assert event.details == {"language": ["", "fr"]}
    with pytest.raises(Invalid) as refused:
        actions.set_language_preference(by=alice, language="de")
    assert refused.value.codes == {"language": ["invalid_choice"]}
