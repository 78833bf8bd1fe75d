"""A client created twice, merged: its documents, entries, payments and contacts move to
the one kept, the audit says so; refused when currencies or identifiers differ."""

import datetime

import pytest
from django.contrib.auth.models import Permission

from facturier.clients import actions
from facturier.clients.models import Client
from facturier.core.errors import NotAllowed
from facturier.firms.models import AuditEvent
from facturier.invoicing.models import Invoice
from facturier.work import actions as work_actions
from facturier.work.models import Entry, WipMonth, WorkCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(alice):
    for codename in ("manage_templates", "process_all_entries"):
        alice.user_permissions.add(Permission.objects.get(codename=codename))
    return type(alice).objects.get(pk=alice.pk)


def test_merging_moves_invoices_entries_contacts_and_wip(
    manager, firm, make_client, client_entity, make_draft
):
    twin = make_client(firm, "Client S.A.", company_id="732829320")
    twin.owners.add(manager)
    draft = make_draft(by=manager, client=twin)
    WorkCode.objects.create(firm=firm, code="AUD", name="Audit", default_rate=100)
    work_actions.record_entries(
        [{"client": twin.pk, "work_code": "AUD", "day": datetime.date.today(), "hours": "2"}],
        by=manager,
    )
    kept = actions.merge_clients(client_entity, by=manager, merged=twin)
    assert not Client.objects.filter(pk=twin.pk).exists()
    assert Invoice.objects.get(pk=draft.pk).client_id == kept.pk
    assert Entry.objects.get().client_id == kept.pk
    wip = WipMonth.objects.get(client=kept)
    assert (wip.hours, wip.amount) == (2, 200)
    assert kept.contacts.count() == 2 and kept.contacts.filter(is_billing=True).count() == 1
    kept.refresh_from_db()
    assert kept.company_id == "732829320"  # what the kept one lacked, taken from the twin
    event = AuditEvent.objects.get(action="client.merged")
    assert event.target_id == str(kept.pk) and event.details["merged"] == twin.pk
    assert event.details["moved"]["invoicing.invoice"] == 1


def test_different_currencies_or_sirens_are_refused_and_nothing_moves(
    manager, firm, make_client, client_entity, make_draft
):
    dollars = make_client(firm, "Client Inc", currency="USD")
    with pytest.raises(actions.MergeConflict) as refused:
        actions.merge_clients(client_entity, by=manager, merged=dollars)
    assert refused.value.code == "merge_conflict" and "USD" in refused.value.message
    client_entity.company_id = "732829320"
    client_entity.save()
    other = make_client(firm, "Client SA bis", company_id="552100554")
    other.owners.add(manager)
    draft = make_draft(by=manager, client=other)
    with pytest.raises(actions.MergeConflict):
        actions.merge_clients(client_entity, by=manager, merged=other)
    assert Invoice.objects.get(pk=draft.pk).client_id == other.pk
    assert not AuditEvent.objects.filter(action="client.merged").exists()


def test_merging_needs_the_settings_right(staff, firm, make_client, client_entity):
    twin = make_client(firm, "Client S.A.")
    with pytest.raises(NotAllowed):
        actions.merge_clients(client_entity, by=staff["owner_processor"], merged=twin)
    assert Client.objects.filter(pk=twin.pk).exists()
