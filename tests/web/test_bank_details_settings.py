"""The IBAN and BIC every invoice (and its QR code) sends payments to: checked in the
settings page, the error beside its field, nothing saved until both are right."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from facturier.core.errors import Invalid
from facturier.firms import actions
from facturier.firms.models import Firm
from tests.web.test_views import _firm_page

pytestmark = pytest.mark.django_db

BAD_IBAN = "FR76 3000 6000 0112 3456 7890 188"  # one digit off: the check digits disagree


@pytest.fixture
def manager(client, alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    client.force_login(alice)
    return type(alice).objects.get(pk=alice.pk)


def post_in_french(client, data):
    # The page's middleware switches this thread to French: switched back after it.
    with translation.override(translation.get_language()):
        return client.post(reverse("settings:firm"), data, HTTP_ACCEPT_LANGUAGE="fr")


def test_a_wrong_iban_and_bic_are_said_beside_their_fields(client, manager, firm):
    data = _firm_page(firm, **{"firm-iban": BAD_IBAN, "firm-bic": "AGRI"})
    response = post_in_french(client, data)
    assert response.status_code == 422
    page = response.content.decode()
    iban_field, bic_field = page.index('name="firm-iban"'), page.index('name="firm-bic"')
    iban_error = page.index(f"{BAD_IBAN} n&#x27;est pas un IBAN valide.")
    bic_error = page.index("AGRI n&#x27;est pas un BIC valide.")
    assert iban_field < iban_error < bic_field < bic_error
    assert Firm.objects.get(pk=firm.pk).iban == ""


def test_a_right_iban_is_kept_in_its_compact_form(client, manager, firm):
    data = _firm_page(
        firm, **{"firm-iban": "fr76 3000 6000 0112 3456 7890 189", "firm-bic": "agrifrpp"}
    )
    assert post_in_french(client, data).status_code == 302
    firm.refresh_from_db()
    assert (firm.iban, firm.bic) == ("FR7630006000011234567890189", "AGRIFRPP")


def test_the_action_refuses_them_with_stable_codes(manager, firm):
    with pytest.raises(Invalid) as refused:
        actions.update_firm_settings(firm, by=manager, fields={"iban": BAD_IBAN, "bic": "AGRI"})
    assert refused.value.codes == {"iban": ["invalid_iban"], "bic": ["invalid_bic"]}
