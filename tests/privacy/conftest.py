import pytest
from django.contrib.auth.models import Permission

from facturier.invoicing import actions as invoicing


@pytest.fixture
def admin(make_user, firm):
    """A member with the settings right (and processing, to send invoices)."""
    user = make_user("admin", firm, processing=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def emailed(finalized, alice, client_entity):
    """The client's billing contact received the finalized invoice by e-mail."""
    invoicing.send_invoices([finalized], by=alice, subject="Facture {number}", message="Bonjour")
    return finalized
