"""The deposit pages as a French user meets them: the deposit invoice's form says each
refusal beside its field, and a draft's deduction of deposits is refused when larger
than the draft, or taken back from its page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.invoicing import actions
from facturier.invoicing.models import Invoice
from facturier.receivables import actions as receivables

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def text(answer) -> str:
    page = answer.content.decode()
    return " ".join(page.replace("\u202f", " ").replace("\xa0", " ").replace("&nbsp;", " ").split())


def post_deposit(client, data):
    return client.post(reverse("billing:deposit_new"), data, **FRENCH)


@pytest.mark.parametrize(
    ("vat_rate", "message"),
    [
        ("vingt", "Saisissez le taux de TVA en chiffres, par exemple 20 ou 5,5."),
        ("5.5.5", "Saisissez le taux de TVA en chiffres, par exemple 20 ou 5,5."),
        ("150", "Un taux de TVA est compris entre 0 et 100."),
        ("-5", "Un taux de TVA est compris entre 0 et 100."),
    ],
)
def test_a_wrong_vat_rate_is_said_beside_its_field(client, alice, client_entity, vat_rate, message):
    client.force_login(alice)
    before = Invoice.objects.count()
    answer = post_deposit(
        client, {"client": client_entity.pk, "amount": "300", "vat_rate": vat_rate}
    )
    assert answer.status_code == 422
    page = text(answer)
    assert f'<small id="vat-rate-error" class="field-error" role="alert">{message}</small>' in page
    assert 'aria-describedby="vat-rate-error"' in page
    assert f'value="{vat_rate}"' in page and 'value="300"' in page  # as typed
    assert Invoice.objects.count() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "300"}, "client", "Choisissez un client."),
        ({"amount": "douze"}, "amount", "Saisissez un montant, par exemple 1 200,00."),
        ({"amount": "-5"}, "amount", "Un montant ne peut pas être négatif."),
    ],
)
def test_every_refusal_of_the_deposit_form_is_beside_its_field(
    client, alice, client_entity, data, field, message
):
    client.force_login(alice)
    if field != "client":
        data = {"client": client_entity.pk, **data}
    answer = post_deposit(client, data)
    assert answer.status_code == 422
    assert f'<small id="{field}-error" class="field-error" role="alert">{message}</small>' in text(
        answer
    )
    assert "Client introuvable" not in text(answer)


def test_a_vat_rate_typed_with_a_comma_drafts_the_deposit(client, alice, client_entity):
    client.force_login(alice)
    answer = post_deposit(client, {"client": client_entity.pk, "amount": "100", "vat_rate": "5,5"})
    assert answer.status_code == 302
    assert Invoice.objects.get(deposit=True).total_gross == Decimal("105.50")


def paid_deposit(alice, client_entity, amount):
    deposit = actions.finalize_invoice(
        actions.draft_deposit(by=alice, client=client_entity, amount=amount), by=alice
    )
    receivables.record_payment(
        by=alice,
        client=client_entity,
        amount=str(deposit.total_gross),
        received_on=deposit.issue_date,
        allocations=[{"invoice": deposit.pk}],
    )
    return deposit


def draft_of(alice, client_entity, price):
    line = {"description": "Mission", "quantity": "1", "unit_price": price, "vat_rate": "20"}
    return actions.create_draft(by=alice, client=client_entity, lines=[line])


def test_a_deposit_larger_than_the_draft_is_not_deducted(client, alice, client_entity, template):
    deposit = paid_deposit(alice, client_entity, "300")  # 360,00 € with VAT
    draft = draft_of(alice, client_entity, "100")  # 120,00 € with VAT
    client.force_login(alice)
    url = reverse("billing:invoice_deduct_deposits", args=[draft.pk])
    page = text(client.post(url, follow=True, **FRENCH))
    assert (
        "Les acomptes (360,00 €) dépassent ce que demande cette facture (120,00 €) : "
        "laissez-les à une facture ultérieure." in page
    )
    assert "Net à payer" not in page and "-240,00" not in page
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None


def test_a_draft_stops_deducting_its_deposits_from_its_page(client, alice, client_entity, template):
    deposit = paid_deposit(alice, client_entity, "100")  # 120,00 € with VAT
    draft = draft_of(alice, client_entity, "1000")
    client.force_login(alice)
    client.post(reverse("billing:invoice_deduct_deposits", args=[draft.pk]), **FRENCH)
    page = text(client.get(reverse("billing:invoice", args=[draft.pk]), **FRENCH))
    assert "Net à payer" in page and "1 080,00 €" in page
    release = reverse("billing:invoice_release_deposits", args=[draft.pk])
    assert f'action="{release}"' in page and "Ne plus déduire les acomptes" in page
    page = text(client.post(release, follow=True, **FRENCH))
    assert f"Acomptes qui ne sont plus déduits : {deposit.number}." in page
    assert "Net à payer" not in page and "Ne plus déduire les acomptes" not in page
    assert f"préparée pour ne déduire aucun acompte — {deposit.number}" in page  # history
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None
