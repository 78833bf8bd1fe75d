"""Direct debit in the browser, in French: the settings page, a mandate added from the
client's account, an invoice scheduled from its page, and the batch exported from the
Direct debits tab (then nothing left to export, and the page says so)."""

import datetime
import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from facturier.invoicing import actions as invoicing
from facturier.receivables import actions
from facturier.receivables.models import Debit, Mandate, SepaSettings
from tests.receivables.test_direct_debits import MANDATE, SETTINGS
from tests.stepup import confirmed

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def manager(client, alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    client.force_login(alice)
    confirmed(client, alice)  # the creditor settings ask for two factors
    return type(alice).objects.get(pk=alice.pk)


def in_french(client, method, url, data=None):
    with translation.override(translation.get_language()):
        return getattr(client, method)(url, data or {}, HTTP_ACCEPT_LANGUAGE="fr", follow=True)


def test_settings_page_checks_the_creditor_identifier(client, manager, firm):
    url = reverse("settings:sepa")
    data = {**SETTINGS, "creditor_id": "FR73ZZZ123456"}
    response = in_french(client, "post", url, data)
    assert response.status_code == 422
    assert "FR73ZZZ123456 n&#x27;est pas un identifiant créancier SEPA valide." in (
        response.content.decode()
    )
    assert not SepaSettings.objects.exists()
    response = in_french(client, "post", url, {**SETTINGS, "creditor_id": "fr72 zzz 123456"})
    assert "Paramètres du prélèvement enregistrés." in response.content.decode()
    assert SepaSettings.objects.get().creditor_id == "FR72ZZZ123456"


def test_settings_page_needs_the_settings_right(client, alice):
    client.force_login(alice)
    assert client.get(reverse("settings:sepa")).status_code == 302
    assert not SepaSettings.objects.exists()


def test_a_mandate_is_added_from_the_client_account_with_a_french_date(
    client, manager, client_entity
):
    url = reverse("billing:mandate_new", args=[client_entity.pk])
    data = {**MANDATE, "signed_on": TODAY.strftime("%d/%m/%Y"), "recurrent": "on"}
    response = in_french(client, "post", url, data)
    page = response.content.decode()
    assert "Mandat RUM-2026-001 enregistré." in page
    assert "Mandats de prélèvement" in page and "Actif" in page
    assert Mandate.objects.get().signed_on == TODAY


def test_a_mandate_signed_in_the_future_is_refused_beside_its_field(client, manager, client_entity):
    url = reverse("billing:mandate_new", args=[client_entity.pk])
    future = (TODAY + datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    response = in_french(client, "post", url, {**MANDATE, "signed_on": future})
    assert response.status_code == 422
    assert "Un mandat ne peut pas être signé dans le futur." in response.content.decode()
    assert not Mandate.objects.exists()


def test_every_refusal_of_a_mandate_shows_at_once(client, manager, client_entity):
    """A date the form refuses and a wrong IBAN: both said on the first submit (the IBAN
    was checked only once the date was mended)."""
    url = reverse("billing:mandate_new", args=[client_entity.pk])
    data = {**MANDATE, "signed_on": "31/02/2026", "iban": "FR76 3000 6000 0112 3456 7890 188"}
    response = in_french(client, "post", url, data)
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    assert "n'est pas un IBAN valide" in page
    errors = re.findall(r'class="field-error"[^>]*>([^<]+)<', page)
    assert len(errors) == 2, errors  # the date's and the IBAN's
    assert 'value="31/02/2026"' in page and "FR76 3000 6000 0112 3456 7890 188" in page
    assert not Mandate.objects.exists()


def test_a_mandate_is_suspended_from_the_account_page(client, manager, client_entity):
    mandate = actions.create_mandate(client_entity, by=manager, fields=MANDATE)
    response = in_french(
        client,
        "post",
        reverse("billing:mandate_status", args=[mandate.pk]),
        {"status": "suspended"},
    )
    assert "Suspendu" in response.content.decode()
    assert Mandate.objects.get().status == "suspended"


def test_an_invoice_is_scheduled_then_exported_once(
    client, manager, client_entity, make_draft, template
):
    actions.save_sepa_settings(manager.firm_id, by=manager, fields=SETTINGS)
    actions.create_mandate(client_entity, by=manager, fields=MANDATE)
    invoice = invoicing.finalize_invoice(make_draft(), by=manager)
    page = in_french(client, "get", reverse("billing:invoice", args=[invoice.pk]))
    assert "Programmer le prélèvement à l'échéance" in page.content.decode()
    response = in_french(
        client, "post", reverse("billing:invoice_debit", args=[invoice.pk]), {"amount": "100,50"}
    )
    assert "Prélèvement programmé pour le" in response.content.decode()
    assert Debit.objects.get().amount == 100.5
    again = in_french(client, "post", reverse("billing:invoice_debit", args=[invoice.pk]))
    assert "déjà programmé" in again.content.decode()

    tab = in_french(client, "get", reverse("billing:debits")).content.decode()
    assert "Prélèvements" in tab and invoice.number in tab
    exported = in_french(client, "post", reverse("billing:debits_export")).content.decode()
    assert "exporté : 1 prélèvement" in exported
    batch = Debit.objects.get().batch
    file = client.get(reverse("billing:debit_batch_file", args=[batch.pk]))
    assert file["Content-Type"] == "application/xml"
    assert b"<MndtId>RUM-2026-001</MndtId>" in file.content
    second = in_french(client, "post", reverse("billing:debits_export")).content.decode()
    assert "Aucun prélèvement programmé à exporter" in second


def test_the_tab_and_the_file_need_the_processing_permission(client, staff, firm):
    client.force_login(staff["owner_only"])
    assert client.get(reverse("billing:debits")).status_code == 403
    assert client.post(reverse("billing:debits_export")).status_code == 302
    assert not Debit.objects.exists()


def test_a_debit_refused_says_why_without_sending_the_user_to_look_for_fields(
    client, manager, client_entity, make_draft, template
):
    """Scheduled from the invoice's page, where no field is beside the message: the reason
    alone, not "some fields need attention" before it."""
    actions.save_sepa_settings(manager.firm_id, by=manager, fields=SETTINGS)
    invoice = invoicing.finalize_invoice(make_draft(), by=manager)
    response = in_french(client, "post", reverse("billing:invoice_debit", args=[invoice.pk]))
    page = html.unescape(response.content.decode())
    assert "Le client n'a pas de mandat de prélèvement actif." in page
    assert "Certains champs sont à corriger" not in page
    assert not Debit.objects.exists()


def test_the_mandate_form_says_when_the_firm_has_no_creditor_identifier(
    client, manager, client_entity, firm
):
    url = reverse("billing:mandate_new", args=[client_entity.pk])
    page = html.unescape(in_french(client, "get", url).content.decode())
    assert "L'identifiant créancier SEPA (ICS) du cabinet n'est pas encore renseigné" in page
    assert reverse("settings:sepa") in page
    SepaSettings.objects.create(firm=firm, **SETTINGS)
    page = html.unescape(in_french(client, "get", url).content.decode())
    assert "no_creditor_id" not in page
