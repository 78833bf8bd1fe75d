"""Managing clients: who may, what is refused with which code, and nothing half-written."""

import pytest
from django.contrib.auth.models import Permission

from facturier.clients import actions
from facturier.clients.models import Client, Contact
from facturier.core.errors import Invalid, NotAllowed, NotFound
from facturier.firms.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(firm, make_user):
    user = make_user("gerard", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


def trail(action):
    return list(AuditEvent.objects.filter(action=action).values_list("target_id", flat=True))


def test_the_settings_right_creates_with_contacts_and_a_delivery_address(manager):
    client = actions.create_client(
        by=manager,
        name="Boulangerie Dupont",
        company_id="732 829 320",
        vat_number="FR44732829320",
        delivery_address="3 quai Ouest",
        delivery_city="Lyon",
        delivery_country="fr",
        contacts=[{"name": "Léa", "email": "lea@dupont.example", "phone": "01 02", "role": "DAF"}],
    )
    client.refresh_from_db()
    assert client.company_id == "732829320" and client.delivery_country == "FR"
    assert client.contacts.get().role == "DAF"
    assert trail("client.created") == [str(client.pk)]


@pytest.mark.parametrize("who", ["owner_processor", "processor_only", "neither"])
def test_creating_needs_the_settings_right(staff, who):
    with pytest.raises(NotAllowed) as refused:
        actions.create_client(by=staff[who], name="Sans droit")
    assert refused.value.code == "not_allowed"
    assert not Client.objects.filter(name="Sans droit").exists()


def test_an_invalid_siren_is_refused_beside_its_field_and_nothing_is_written(manager):
    with pytest.raises(Invalid) as refused:
        actions.create_client(
            by=manager,
            name="Mauvais",
            company_id="732829321",
            contacts=[{"name": "X", "email": "x@x.example"}],
        )
    assert refused.value.codes == {"company_id": ["invalid_siren"]}
    assert "732829321 is not a valid SIREN" in refused.value.errors["company_id"][0]
    assert not Client.objects.filter(name="Mauvais").exists()
    assert not Contact.objects.filter(name="X").exists()
    assert not trail("client.created")


def test_archive_restore_and_who_may(manager, staff, client_entity):
    with pytest.raises(NotAllowed):
        actions.archive_client(client_entity, by=staff["owner_processor"])
    actions.archive_client(client_entity, by=manager)
    client_entity.refresh_from_db()
    assert client_entity.archived_at is not None
    actions.archive_client(client_entity, by=manager, archived=False)
    client_entity.refresh_from_db()
    assert client_entity.archived_at is None
    assert trail("client.archived") == trail("client.restored") == [str(client_entity.pk)]


def test_a_client_with_documents_is_never_deleted(manager, draft, client_entity):
    with pytest.raises(actions.HasDocuments) as refused:
        actions.delete_client(client_entity, by=manager)
    assert refused.value.code == "client_has_documents" and refused.value.status == 409
    assert Client.objects.filter(pk=client_entity.pk).exists()
    assert not trail("client.deleted")


def test_a_client_without_documents_may_be_deleted(manager, staff, client_entity):
    with pytest.raises(NotAllowed):
        actions.delete_client(client_entity, by=staff["owner_processor"])
    actions.delete_client(client_entity, by=manager)
    assert not Client.objects.filter(pk=client_entity.pk).exists()
    assert trail("client.deleted") == [str(client_entity.pk)]


def test_contacts_added_changed_and_removed_by_an_owner_with_processing(staff, client_entity):
    alice = staff["owner_processor"]
    contact = actions.add_contact(
        client_entity, by=alice, name="Paul", email="paul@client.example", language="en"
    )
    with pytest.raises(Invalid) as refused:
        actions.update_contact(contact, by=alice, is_billing=True)
    assert refused.value.codes == {"is_billing": ["one_billing_contact"]}
    actions.update_contact(contact, by=alice, phone="+33 1 23 45 67 89")
    contact.refresh_from_db()
    assert contact.phone == "+33 1 23 45 67 89" and not contact.is_billing
    with pytest.raises(NotAllowed):
        actions.remove_contact(contact, by=staff["owner_only"])
    with pytest.raises(NotFound):
        actions.remove_contact(contact, by=staff["neither"])
    actions.remove_contact(contact, by=alice)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert len(trail("contact.added") + trail("contact.changed") + trail("contact.removed")) == 3


def test_a_bad_contact_email_is_refused_with_its_field(staff, client_entity):
    with pytest.raises(Invalid) as refused:
        actions.add_contact(client_entity, by=staff["owner_processor"], name="Z", email="pas-un")
    assert "email" in refused.value.errors
    assert not Contact.objects.filter(name="Z").exists()
