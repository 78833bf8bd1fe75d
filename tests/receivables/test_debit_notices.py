"""The pre-notification of a direct debit: queued in the outbox when the debit is
scheduled, e-mailed by the worker to the client's billing contact in the client's
language with the amount, the collection date, the mandate reference and the creditor
identifier; on the invoice's history; no debit scheduled when no one can be told."""

import pytest
from django.core.management import call_command

from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter
from facturier.firms.models import AuditEvent
from facturier.receivables import actions
from facturier.receivables.models import Debit, DebitNotice
from tests.receivables.test_direct_debits import issue as issue  # noqa: F401  (fixture)
from tests.receivables.test_direct_debits import mandate as mandate  # noqa: F401
from tests.receivables.test_direct_debits import sepa as sepa  # noqa: F401
from tests.receivables.test_direct_debits import settings_user as settings_user  # noqa: F401

pytestmark = pytest.mark.django_db


def run_worker():
    call_command("outbox_worker", once=True, interval=0)


@pytest.fixture
def billed(client_entity):
    contact = client_entity.contacts.get()
    contact.email = "compta@client.example"
    contact.save()
    return contact


@pytest.mark.django_db(transaction=True)
def test_the_pre_notification_is_emailed_in_french(
    smtp_server,
    sepa,  # noqa: F811
    mandate,  # noqa: F811
    issue,  # noqa: F811
    alice,
    billed,
):
    invoice = issue(due_in=20)
    debit = actions.schedule_debit(invoice, by=alice)
    assert smtp_server.handler.received == []  # the worker sends it
    run_worker()
    [(recipients, message)] = smtp_server.handler.received
    assert recipients == ["compta@client.example"]
    day = Formatter("fr", "EUR").date(debit.due_date)  # "27 décembre 2026"
    assert " ".join(str(message["Subject"]).split()) == (
        f"Prélèvement de 120,00 € le {' '.join(day.split())} (facture {invoice.number})"
    )
    text = message.get_body(("plain",)).get_content()
    assert "Référence du mandat : RUM-2026-001" in text
    assert "Identifiant créancier : FR72ZZZ123456" in text
    assert "Compte débité : …0189" in text  # the account's end only, never the whole IBAN
    assert "30006000011234567890" not in text.replace(" ", "")
    assert f"le {day}" in text and "120,00\u00a0€" in text
    assert DebitNotice.objects.get().status == "sent"
    event = AuditEvent.objects.get(action="debit.notice_sent")
    assert event.target_id == str(invoice.pk) and event.details["to"] == ["compta@client.example"]


@pytest.mark.django_db(transaction=True)
def test_an_english_client_is_notified_in_english(
    smtp_server,
    sepa,  # noqa: F811
    mandate,  # noqa: F811
    issue,  # noqa: F811
    alice,
    billed,
    client_entity,
):
    client_entity.language = "en"
    client_entity.save()
    invoice = issue()
    actions.schedule_debit(invoice, by=alice)
    run_worker()
    [(_recipients, message)] = smtp_server.handler.received
    assert str(message["Subject"]).strip().startswith("Direct debit of €120.00 on ")
    text = message.get_body(("plain",)).get_content()
    assert "Creditor identifier: FR72ZZZ123456" in text
    assert "Account debited: …0189" in text
    assert "30006000011234567890" not in text.replace(" ", "")


def test_no_debit_without_someone_to_pre_notify(
    mandate,  # noqa: F811
    issue,  # noqa: F811
    alice,
    client_entity,
):
    invoice = issue()
    client_entity.contacts.update(email="")
    with pytest.raises(Invalid) as exc:
        actions.schedule_debit(invoice, by=alice)
    assert exc.value.codes == {"invoice": ["no_recipient"]}
    assert not Debit.objects.exists() and not DebitNotice.objects.exists()
