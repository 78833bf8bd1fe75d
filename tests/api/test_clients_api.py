"""The Clients pages' operations in the API: archive, delete, merge, contacts, import."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from facturier.clients.models import Client, Contact
from tests.clients.test_client_import import french_file, good_row, siren

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(firm, make_user):
    user = make_user("gerard", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def admin_api(api_for, manager):
    return api_for(manager)


def test_archive_restore_and_delete_a_client_created_by_mistake(admin_api, make_client, firm):
    client = make_client(firm, "Doublon SARL")
    answer = admin_api.post(f"/api/v1/clients/{client.pk}/archive/", {}, format="json")
    assert answer.status_code == 200
    client.refresh_from_db()
    assert client.archived_at is not None
    admin_api.post(f"/api/v1/clients/{client.pk}/archive/", {"archived": False}, format="json")
    client.refresh_from_db()
    assert client.archived_at is None
    assert admin_api.delete(f"/api/v1/clients/{client.pk}/").status_code == 204
    assert not Client.objects.filter(pk=client.pk).exists()


def test_a_client_with_documents_is_not_deleted(admin_api, draft, client_entity):
    answer = admin_api.delete(f"/api/v1/clients/{client_entity.pk}/")
    assert answer.status_code == 409 and answer.json()["code"] == "client_has_documents"
    assert Client.objects.filter(pk=client_entity.pk).exists()


def test_archiving_needs_the_settings_right(api, client_entity):
    answer = api.post(f"/api/v1/clients/{client_entity.pk}/archive/", {}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "not_allowed"


def test_merge_moves_the_documents_and_refuses_a_conflict(admin_api, make_client, firm, draft):
    kept = draft.client
    twin = make_client(firm, "Client SA (bis)")
    answer = admin_api.post(f"/api/v1/clients/{twin.pk}/merge/", {"merged": kept.pk}, format="json")
    assert answer.status_code == 200
    draft.refresh_from_db()
    assert draft.client_id == twin.pk and not Client.objects.filter(pk=kept.pk).exists()
    dollars = make_client(firm, "Client Inc", currency="USD")
    refused = admin_api.post(
        f"/api/v1/clients/{twin.pk}/merge/", {"merged": dollars.pk}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "merge_conflict"


def test_contacts_listed_added_changed_and_removed(api, client_entity):
    url = f"/api/v1/clients/{client_entity.pk}/contacts/"
    assert [c["name"] for c in api.get(url).json()] == ["Compta"]
    added = api.post(url, {"name": "Léa", "email": "lea@client.example"}, format="json")
    assert added.status_code == 201
    pk = added.json()["id"]
    changed = api.patch(f"/api/v1/contacts/{pk}/", {"phone": "01 02 03 04 05"}, format="json")
    assert changed.status_code == 200 and changed.json()["phone"] == "01 02 03 04 05"
    bad = api.post(url, {"name": "X", "email": "pas une adresse"}, format="json")
    assert bad.status_code == 422
    assert api.delete(f"/api/v1/contacts/{pk}/").status_code == 204
    assert not Contact.objects.filter(pk=pk).exists()
    assert api.delete("/api/v1/contacts/999999/").status_code == 404


def test_import_checks_then_writes_all_or_nothing(admin_api):
    def upload(rows, dry):
        file = SimpleUploadedFile("clients.csv", french_file(rows), content_type="text/csv")
        return admin_api.post(
            "/api/v1/clients/import/", {"file": file, "dry_run": dry}, format="multipart"
        )

    rows = [good_row(n) for n in range(5)]
    bad = [*rows]
    bad[2] = bad[2].replace(siren(2), "732829321")
    checked = upload(bad, True)
    assert checked.status_code == 422 and checked.json()["code"] == "rows_refused"
    assert checked.json()["refused"][0]["line"] == 4
    assert not Client.objects.filter(name__startswith="Société").exists()
    assert upload(rows, True).status_code == 200
    written = upload(rows, False)
    assert written.status_code == 201 and written.json()["written"] == 5
    assert Client.objects.filter(name__startswith="Société").count() == 5


def test_an_import_sent_as_json_is_refused_with_its_code(admin_api):
    answer = admin_api.post("/api/v1/clients/import/", {"rows": []}, format="json")
    assert answer.status_code == 415 and answer.json()["code"] == "unsupported_media_type"
