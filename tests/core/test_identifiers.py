"""SIREN, SIRET, VAT numbers, IBAN and BIC are checked with their check digits
(python-stdnum, schwifty), the same way from the API, the forms and the actions."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from facturier.core import identifiers
from facturier.core.errors import Invalid
from facturier.firms import actions as firm_actions

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("732 829 320", "FR", "732829320"),
        ("73282932000074", "FR", "73282932000074"),  # a SIRET
        ("HRB 12345", "DE", "HRB 12345"),  # elsewhere: as given
    ],
)
def test_company_ids_that_pass(value, country, expected):
    assert identifiers.clean_company_id(value, country) == expected


@pytest.mark.parametrize("value", ["732829321", "12345", "ABCDEFGHI", "73282932000075"])
def test_a_wrong_siren_is_refused(value):
    with pytest.raises(ValidationError) as refused:
        identifiers.clean_company_id(value, "FR")
    assert refused.value.code == "invalid_siren"


def test_vat_numbers():
    assert identifiers.clean_vat_number("fr 44 732829320", "FR", "732829320") == "FR44732829320"
    assert identifiers.clean_vat_number("DE136695976", "DE") == "DE136695976"
    for wrong, code in [
        ("FR45732829320", "invalid_vat"),  # the key does not match
        ("DE136695977", "invalid_vat"),
        ("732829320", "invalid_vat"),  # no country prefix, client in the EU
    ]:
        with pytest.raises(ValidationError) as refused:
            identifiers.clean_vat_number(wrong, "FR")
        assert refused.value.code == code
    with pytest.raises(ValidationError) as refused:
        identifiers.clean_vat_number("FR11123456782", "FR", "732829320")
    assert refused.value.code == "vat_siren_mismatch"


def test_iban_and_bic():
    assert (
        identifiers.clean_iban("FR76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    )
    for check, wrong in [
        (identifiers.clean_iban, "FR7630006000011234567890188"),
        (identifiers.clean_bic, "AGRI"),
    ]:
        with pytest.raises(ValidationError):
            check(wrong)


def test_the_api_refuses_a_wrong_siren_with_its_code(api_for, alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    api = api_for(type(alice).objects.get(pk=alice.pk))
    response = api.post(
        "/api/v1/clients/",
        {
            "name": "Erreur SAS",
            "country": "FR",
            "company_id": "732829321",
            "vat_number": "FR00732829321",
        },
        format="json",
    )
    assert response.status_code in (400, 422)
    body = response.json()
    assert "company_id" in body["errors"] and "vat_number" in body["errors"]
    assert "check digit" in body["errors"]["company_id"][0]
    assert body["codes"]["company_id"] == ["invalid_siren"]


def test_the_firm_settings_refuse_a_wrong_vat_key(firm, alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    with pytest.raises(Invalid) as refused:
        firm_actions.update_firm_settings(
            firm, by=type(alice).objects.get(pk=alice.pk), fields={"vat_number": "FR12123456782"}
        )
    assert refused.value.codes["vat_number"] == ["invalid_vat"]
    firm.refresh_from_db()
    assert firm.vat_number == "FR11123456782"
