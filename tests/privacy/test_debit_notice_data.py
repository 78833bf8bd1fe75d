"""A contact's direct-debit pre-notifications (their address, the debited account): in
the contact's export, and scrubbed when the contact is erased."""

import pytest

from facturier.privacy import actions as privacy
from facturier.receivables import actions as receivables
from facturier.receivables.models import DebitNotice
from tests.receivables.test_direct_debits import issue as issue  # noqa: F401  (fixture)
from tests.receivables.test_direct_debits import mandate as mandate  # noqa: F401
from tests.receivables.test_direct_debits import sepa as sepa  # noqa: F401
from tests.receivables.test_direct_debits import settings_user as settings_user  # noqa: F401

pytestmark = pytest.mark.django_db
IBAN = "FR7630006000011234567890189"


@pytest.fixture
def notified(client_entity, sepa, mandate, issue, alice):  # noqa: F811
    contact = client_entity.contacts.get()
    contact.email = "compta@client.example"
    contact.save()
    invoice = issue(due_in=20)
    receivables.schedule_debit(invoice, by=alice)
    # As written before the e-mail masked the account: the whole IBAN in the body.
    notice = DebitNotice.objects.get()
    notice.body = f"{notice.body}\nAccount debited: {IBAN}"
    notice.cc = ["gerant@client.example"]
    notice.save()
    return contact, invoice


def test_the_contact_export_lists_their_pre_notifications(admin, notified):
    contact, invoice = notified
    data = privacy.export_contact_data(contact, by=admin)
    [notice] = data["debit_notices"]
    assert notice["invoice"] == invoice.number
    assert notice["to"] == ["compta@client.example"]
    assert IBAN in notice["body"]


def test_erasing_the_contact_scrubs_their_pre_notifications(admin, notified):
    contact, _invoice = notified
    privacy.erase_contact(contact, by=admin, reason="asked on 2026-12-01")
    notice = DebitNotice.objects.get()
    assert notice.to == [] and notice.cc == ["gerant@client.example"]
    assert "compta@client.example" not in notice.body
    assert IBAN not in notice.body and "…0189" in notice.body
    assert notice.status == "failed"  # not sent any more: nobody left to send it to
