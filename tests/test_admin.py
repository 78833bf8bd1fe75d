import pytest
from django.urls import reverse

from facturier.invoicing.models import Invoice
from facturier.invoicing.selectors import invoice_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, firm, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw", firm=firm)
    client.force_login(admin)
    client.admin_user = admin
    return client


@pytest.mark.parametrize(
    "model",
    [
        "firms/firm",
        "firms/user",
        "clients/client",
        "clients/contact",
        "invoicing/invoice",
        "invoicing/invoicetemplate",
        "invoicing/invoicesequence",
        "invoicing/invoiceline",
    ],
)
def test_every_model_has_an_admin_page(admin_client, finalized, model):
    app, name = model.split("/")
    assert admin_client.get(reverse(f"admin:{app}_{name}_changelist")).status_code == 200


def test_admin_shows_a_finalized_invoice_read_only(admin_client, finalized):
    url = reverse("admin:invoicing_invoice_change", args=[finalized.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="notes"' not in page.content
    admin_client.post(url, {"notes": "changed", "status": "draft"})
    finalized.refresh_from_db()
    assert finalized.status == "finalized" and finalized.notes == ""


def test_admin_close_action_goes_through_the_lifecycle(admin_client, finalized):
    response = admin_client.post(
        reverse("admin:invoicing_invoice_changelist"),
        {"action": "close_selected", "_selected_action": [finalized.pk]},
        follow=True,
    )
    assert response.status_code == 200
    finalized.refresh_from_db()
    assert finalized.status == "closed"
    assert (
        invoice_events(invoice=finalized)
        .filter(action="invoice.closed", actor=admin_client.admin_user)
        .exists()
    )


def test_admin_close_of_a_draft_is_refused_with_a_message(admin_client, draft):
    response = admin_client.post(
        reverse("admin:invoicing_invoice_changelist"),
        {"action": "close_selected", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "cannot be closed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_admin_cannot_delete_a_finalized_invoice(admin_client, finalized):
    admin_client.post(
        reverse("admin:invoicing_invoice_delete", args=[finalized.pk]), {"post": "yes"}, follow=True
    )
    assert Invoice.objects.filter(pk=finalized.pk).exists()


def test_login_page_and_admin_login_work(client, alice):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302


def test_the_invoice_page_of_the_admin_shows_its_history(admin_client, finalized):
    page = admin_client.get(reverse("admin:invoicing_invoice_change", args=[finalized.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "finalized (Draft → Finalized)" in text or "finalisée (Brouillon → Finalisée)" in text
