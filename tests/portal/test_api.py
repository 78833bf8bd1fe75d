"""The staff side of the portal in the API: invite, list, revoke, with the codes."""

import pytest

from facturier.access.models import AccountEmail
from facturier.portal.models import PortalAccess

pytestmark = pytest.mark.django_db


def test_invite_list_and_revoke(api, contact, other_client, api_for, staff):
    invited = api.post(
        "/api/v1/portal/accesses/",
        {"client": contact.client_id, "contact": contact.pk},
        format="json",
    )
    assert invited.status_code == 201, invited.content
    assert invited.json()["email"] == "jeanne@client.example" and invited.json()["active"]
    assert AccountEmail.objects.filter(purpose="portal_link", to=["jeanne@client.example"]).exists()
    listed = api.get("/api/v1/portal/accesses/").json()["results"]
    assert [row["contact"] for row in listed] == [contact.pk]
    wrong = api.post(
        "/api/v1/portal/accesses/",
        {"client": contact.client_id, "contact": other_client["contact"].pk},
        format="json",
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "contact_of_another_client"
    owner_only = api_for(staff["owner_only"])
    access = PortalAccess.objects.get()
    refused = owner_only.post(f"/api/v1/portal/accesses/{access.pk}/revoke/")
    assert refused.status_code == 403
    revoked = api.post(f"/api/v1/portal/accesses/{access.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert api.post("/api/v1/portal/accesses/999999/revoke/").status_code == 404
