import datetime
import re

import pytest
from django.core.management import call_command
from django.test import Client as Browser

from facturier.invoicing import actions as invoicing
from facturier.portal import actions
from facturier.portal.models import SignInLink
from facturier.portal.session import COOKIE
from facturier.receivables import actions as receivables
from tests.conftest import LINE

SITE = "http://testserver/"
MANDATE = {
    "reference": "RUM-PORTAIL-1",
    "debtor_name": "Client SA",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
    "recurrent": True,
    "scheme": "CORE",
}


def run_worker():
    call_command("outbox_worker", once=True, interval=0)


def link_in(text: str) -> str:
    """The path of the first link of an e-mail's text."""
    return re.search(r"https?://[^/\s]+(/\S+)", text).group(1)


@pytest.fixture
def contact(client_entity):
    found = client_entity.contacts.get()
    found.name, found.email = "Jeanne Martin", "jeanne@client.example"
    found.save()
    return found


@pytest.fixture
def iban_firm(firm):
    firm.iban, firm.bic = "FR1420041010050500013M02606", "PSSTFRPPPAR"
    firm.save()
    return firm


@pytest.fixture
def issued(make_draft, alice, template, iban_firm):
    """Two open invoices of the client, the first overdue."""
    from facturier.invoicing.models import Invoice

    past = datetime.date.today() - datetime.timedelta(days=60)
    first = invoicing.finalize_invoice(make_draft(), by=alice)
    # Issued two months ago, due a month ago (finalizing dates an invoice today).
    Invoice.objects.filter(pk=first.pk).update(
        issue_date=past, due_date=past + datetime.timedelta(days=30)
    )
    first.refresh_from_db()
    second = invoicing.finalize_invoice(
        make_draft(lines=[{**LINE, "unit_price": "250.00"}]), by=alice
    )
    return [first, second]


@pytest.fixture
def other_client(firm, make_client, make_draft, alice, template):
    """Another client of the same firm, with an invoice, a contact and a mandate."""
    other = make_client(firm, "Autre SARL")
    other.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)  # fresh: owns the new client
    invoice = invoicing.finalize_invoice(make_draft(client=other, by=alice), by=alice)
    mandate = receivables.create_mandate(
        other, by=alice, fields={**MANDATE, "reference": "RUM-AUTRE"}
    )
    return {
        "client": other,
        "invoice": invoice,
        "mandate": mandate,
        "contact": other.contacts.get(),
    }


@pytest.fixture
def mandate(alice, client_entity):
    from facturier.receivables.models import SepaSettings

    # A mandate names its creditor: the firm's ICS must be known for it to be signed.
    SepaSettings.objects.create(firm=alice.firm, creditor_id="FR72ZZZ123456")
    return receivables.create_mandate(client_entity, by=alice, fields=MANDATE)


def signed_in(access) -> Browser:
    """A browser with a portal session of the access's contact (its link spent)."""
    from facturier.portal.models import new_secret

    raw, digest = new_secret()
    link = SignInLink.objects.filter(access=access).order_by("-pk").first()
    link.digest = digest
    link.save(update_fields=["digest"])  # test setup: a link whose raw form we know
    browser = Browser()
    answer = browser.post(f"/portal/link/{raw}/")
    assert answer.status_code == 302, answer.content[:500]
    assert COOKIE in browser.cookies
    return browser


@pytest.fixture
def portal(contact, alice):
    access = actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    return signed_in(access)


def sent_letter(client, alice, reference: str):
    """An engagement of the client with its letter (French) e-mailed to its contact."""
    from facturier.engagements import actions as engagements
    from facturier.engagements.letter_models import LetterTemplate

    french = LetterTemplate.objects.filter(firm_id=client.firm_id, language="fr").first()
    if french is None:
        french, _english = engagements.seed_letter_templates(client.firm_id)
    engagement = engagements.create_engagement(
        client,
        by=alice,
        fields={
            "reference": reference,
            "start_date": datetime.date(2027, 1, 1),
            "tacit_renewal": True,
        },
        missions=[
            {
                "name": "Tenue comptable",
                "fee_kind": "fixed",
                "annual_fee": "1200",
                "vat_rate": "20",
                "frequency": "monthly",
                "timing": "advance",
                "billing_day": 1,
            }
        ],
    )
    letter = engagements.create_letter(engagement, by=alice, template=french)
    return engagements.send_letter(letter, by=alice)


@pytest.fixture
def letter(client_entity, alice, contact):
    return sent_letter(client_entity, alice, "LM-PORTAIL-1")


@pytest.fixture
def other_letter(other_client, alice):
    alice = type(alice).objects.get(pk=alice.pk)
    return sent_letter(other_client["client"], alice, "LM-AUTRE-1")
