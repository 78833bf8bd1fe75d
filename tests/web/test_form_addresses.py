"""A form's address opened by hand answers a page in the user's language, not an empty
405; the API keeps its own answer."""

import pytest
from django.test import Client as Browser
from django.urls import reverse


@pytest.mark.django_db
def test_a_form_address_opened_in_the_browser_says_so_in_french(client, alice):
    client.force_login(alice)
    response = client.get(reverse("billing:bulk"), HTTP_ACCEPT_LANGUAGE="fr")
    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "Rien à afficher ici" in page and "Retour aux factures" in page
    assert f'href="{reverse("billing:invoices")}"' in page


@pytest.mark.django_db
def test_the_portal_leads_back_to_the_clients_documents():
    response = Browser(HTTP_ACCEPT_LANGUAGE="fr").get(reverse("portal:sign_out"))
    if response.status_code != 405:
        pytest.fail(f"the portal's sign-out should take a form only: {response.status_code}")
    assert "Retour à vos documents" in response.content.decode()


@pytest.mark.django_db
def test_the_api_keeps_its_own_405(api):
    response = api.get("/api/v1/portal/accesses/1/revoke/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json") and response.json()
