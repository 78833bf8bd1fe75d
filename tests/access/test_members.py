"""Editing a member (rights, clients owned), deactivating and reactivating them, and a
firm that never loses its last active member with the settings right."""

import pytest
from django.test import Client as Browser
from rest_framework.test import APIClient

from facturier.access.actions import (
    deactivate_member,
    issue_token,
    reactivate_member,
    set_member_rights,
)
from facturier.access.errors import LastSettingsHolder
from facturier.access.models import ApiToken
from facturier.clients import actions as client_actions
from facturier.core.errors import NotAllowed, NotFound
from facturier.firms.models import AuditEvent, User
from facturier.firms.permissions import holds

pytestmark = pytest.mark.django_db

SETTINGS = "invoicing.manage_templates"
PROCESSING = "invoicing.process_invoices"


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_the_administrator_edits_rights_and_clients_on_the_member_page(
    admin_member, firm, make_user, make_client
):
    bob = make_user("bob", firm)
    mine, other = make_client(firm, "Alpha SA"), make_client(firm, "Beta SARL")
    browser = Browser()
    browser.force_login(admin_member)
    page = browser.get(f"/settings/staff/{bob.pk}/")
    assert page.status_code == 200 and "Alpha SA" in page.content.decode()
    answer = browser.post(
        f"/settings/staff/{bob.pk}/",
        {"rights": [PROCESSING, "work.process_own_entries"], "clients": [mine.pk]},
    )
    assert answer.status_code == 302
    bob = fresh(bob)
    assert holds(bob, PROCESSING) and holds(bob, "work.process_own_entries")
    assert list(mine.owners.all()) == [bob] and not other.owners.exists()
    listed = browser.get("/settings/staff/").content.decode()
    assert "bob" in listed and "Processing" in listed
    assert {"staff.rights_changed", "staff.clients_changed"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_a_client_of_another_firm_is_refused_and_nothing_changes(
    admin_member, firm, make_user, make_client, make_firm
):
    bob = make_user("bob", firm)
    foreign = make_client(make_firm("Autre"), "Étranger SA")
    browser = Browser()
    browser.force_login(admin_member)
    answer = browser.post(
        f"/settings/staff/{bob.pk}/", {"rights": [PROCESSING], "clients": [foreign.pk]}
    )
    assert answer.status_code == 422
    assert not holds(fresh(bob), PROCESSING)  # the rights were not saved either


def test_the_last_settings_holder_keeps_the_right_and_stays_active(admin_member, firm, make_user):
    with pytest.raises(LastSettingsHolder) as refused:
        set_member_rights(admin_member, by=admin_member, rights=[PROCESSING])
    assert refused.value.code == "last_settings_holder"
    with pytest.raises(LastSettingsHolder):
        deactivate_member(admin_member, by=admin_member)
    admin_member = fresh(admin_member)
    assert admin_member.is_active and holds(admin_member, SETTINGS)
    browser = Browser()
    browser.force_login(admin_member)
    answer = browser.post(f"/settings/staff/{admin_member.pk}/deactivate/", follow=True)
    assert "no active member left with the settings right" in answer.content.decode()
    assert fresh(admin_member).is_active
    # With a second holder, either may go.
    second = make_user("second", firm)
    set_member_rights(second, by=admin_member, rights=[SETTINGS])
    deactivate_member(admin_member, by=fresh(second))
    assert not fresh(admin_member).is_active


def test_a_deactivated_member_is_signed_out_at_once_and_their_tokens_revoked(
    admin_member, firm, make_user
):
    bob = make_user("bob", firm, processing=True)
    _token, raw = issue_token(by=bob, name="script")
    session = Browser()
    session.force_login(bob)
    assert session.get("/settings/tokens/").status_code == 200
    admin = Browser()
    admin.force_login(admin_member)
    assert admin.post(f"/settings/staff/{bob.pk}/deactivate/").status_code == 302
    after = session.get("/settings/tokens/")
    assert after.status_code == 302 and after["Location"].startswith("/login/")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/invoices/").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None
    assert not Browser().login(username="bob", password="pw-bob")
    reactivate_member(bob, by=admin_member)
    assert session.get("/settings/tokens/").status_code == 302  # that session is over
    assert Browser().login(username="bob", password="pw-bob")
    assert ApiToken.objects.get().revoked_at is not None  # revoked tokens stay revoked
    assert AuditEvent.objects.filter(action="staff.deactivated", target_id=str(bob.pk)).exists()


def test_members_are_managed_with_the_settings_right_in_ones_own_firm(
    admin_member, firm, make_user, make_firm
):
    bob = make_user("bob", firm, processing=True)
    erin = make_user("erin", make_firm("Autre"))
    with pytest.raises(NotAllowed):
        deactivate_member(admin_member, by=bob)
    with pytest.raises(NotAllowed):
        client_actions.set_owned_clients(admin_member, by=bob, client_ids=[])
    with pytest.raises(NotFound):
        deactivate_member(erin, by=admin_member)
    browser = Browser()
    browser.force_login(admin_member)
    assert browser.get(f"/settings/staff/{erin.pk}/").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_administrators_removing_each_other_at_once_leave_one(admin_member, firm, make_user):
    """Each would be allowed alone; together the firm's lock lets only the first through."""
    import threading

    from django.db import connection

    second = make_user("second", firm)
    set_member_rights(second, by=admin_member, rights=[SETTINGS])
    pairs = [(admin_member.pk, second.pk), (second.pk, admin_member.pk)]
    barrier = threading.Barrier(2)
    refused = []

    def remove(by_pk, member_pk):
        try:
            by = User.objects.get(pk=by_pk)
            barrier.wait()
            deactivate_member(member_pk, by=by)
        except (LastSettingsHolder, NotAllowed) as exc:
            refused.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 1
    assert (
        User.objects.filter(firm=firm, is_active=True, pk__in=[admin_member.pk, second.pk]).count()
        == 1
    )


def test_the_staff_pages_say_a_member_is_active_in_french(admin_member, firm, make_user):
    bob = make_user("bob", firm)
    browser = Browser()
    browser.force_login(admin_member)
    listed = browser.get("/settings/staff/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<th scope="col">Actif</th>' in listed and "En cours" not in listed
    page = browser.get(f"/settings/staff/{bob.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "— actif</p>" in page


def test_a_member_page_reads_the_same_for_a_woman_or_a_man(admin_member, firm, make_user):
    """French agrees with the person: the page and its message are worded so that they
    hold for anyone ("Ève Nouvelle enregistré", "dont il est propriétaire" did not)."""
    eve = make_user("eve", firm)
    eve.first_name, eve.last_name = "Ève", "Nouvelle"
    eve.save()
    browser = Browser()
    browser.force_login(admin_member)
    french = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    page = browser.get(f"/settings/staff/{eve.pk}/", **french).content.decode()
    assert "Clients en portefeuille" in page and "dont il est" not in page
    assert "Le désactiver" not in page
    answer = browser.post(
        f"/settings/staff/{eve.pk}/", {"rights": [PROCESSING], "clients": []}, follow=True, **french
    )
    assert "Fiche enregistrée : Ève Nouvelle." in answer.content.decode()
