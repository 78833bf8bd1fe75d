"""The invoice's history: every app's events read as that app says, in the reader's
language, and no name reaches the page undecoded."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import translation

from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing
from facturier.invoicing import history
from facturier.invoicing.selectors import invoice_events
from facturier.receivables import actions as receivables

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}
MAIL = {"subject": "Facture", "message": "Bonjour,"}


def lines(invoice, language: str) -> list[str]:
    with translation.override(language):
        return [
            re.sub(r"<[^>]+>", "", str(history.describe(event)))
            for event in invoice_events(invoice=invoice).order_by("at", "id")
        ]


def test_a_paid_then_unpaid_invoice_reads_in_french(make_draft, alice, client_entity, template):
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    payment = receivables.record_payment(
        by=alice,
        client=client_entity,
        amount=Decimal("120.00"),
        received_on=datetime.date.today(),
        allocations=[{"invoice": invoice.pk}],
    )
    receivables.delete_payment(payment, by=alice)
    french = lines(invoice, "fr")
    assert french[1] == f"finalisée (Brouillon → Finalisée), numéro {invoice.number}"
    assert french[2] == "réglée, 120,00\u00a0€ (reste à payer 0,00\u00a0€)"
    assert french[3].startswith("fermée (Finalisée → Fermée) — ")
    assert french[4].endswith(", 120,00\u00a0€ (reste à payer 120,00\u00a0€)")
    assert french[5].startswith("revenue à Finalisé (Fermée → Finalisée) — un paiement")

    english = lines(invoice, "en")
    assert english[2] == "paid, €120.00 (left to pay €0.00)"
    for text in french + english:
        assert not re.search(r"\b(None|True|False|payment_removed|paid_in_full)\b", text)


def test_a_resend_reads_apart_from_the_first_sending(make_draft, alice, template):
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    invoicing.send_invoices([invoice], by=alice, to=["compta@client.fr"], **MAIL)
    invoicing.send_invoices([invoice], by=alice, to=["compta@client.fr"], resend=True, **MAIL)
    french = lines(invoice, "fr")
    assert french[-2] == "envoyée, à compta@client.fr"
    assert french[-1] == "envoyée (de nouveau), à compta@client.fr"
    assert lines(invoice, "en")[-1] == "sent (again), to compta@client.fr"


def test_every_event_recorded_has_its_app_s_words():
    names = set(
        AuditEvent.objects.filter(target_type="invoicing.invoice").values_list("action", flat=True)
    )
    assert all(history.label(name) != name for name in names)
    for name in (
        "invoice.paid",
        "invoice.reminded",
        "invoice.platform_status",
        "invoice.finalized",
        "invoice.emailed",
    ):
        assert history.label(name) != name, f"{name} is declared by no app"


def test_a_name_declared_by_two_apps_is_refused():
    class Clash(models.TextChoices):
        PAYMENT = "invoice.paid", "paid twice"

    with pytest.raises(ImproperlyConfigured):
        history.register(Clash, describe=lambda event: ())
