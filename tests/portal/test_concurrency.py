"""One link spent twice at the same moment, and one mandate signed twice at the same
moment (PostgreSQL, real row locks): one session, one signature."""

import pytest

from facturier.core.errors import DomainError
from facturier.portal import actions
from facturier.portal.documents import mandate_pdf
from facturier.portal.models import Acceptance, PortalSession, SignInLink, new_secret
from tests.receivables.test_concurrency import run_together

from .conftest import SITE

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_link_spent_twice_at_once_opens_one_session(contact, alice):
    access = actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    raw, digest = new_secret()
    SignInLink.objects.filter(access=access).update(digest=digest)
    outcomes = run_together([lambda: actions.open_session(raw) for _ in range(3)])
    assert sum(isinstance(o, tuple) for o in outcomes) == 1, outcomes
    assert all(o.code == "link_used" for o in outcomes if isinstance(o, DomainError)), outcomes
    assert PortalSession.objects.count() == 1


def test_a_mandate_signed_twice_at_once_keeps_one_signature(contact, mandate):
    import hashlib

    from facturier.receivables.models import SepaSettings

    sepa = SepaSettings.objects.get(firm_id=mandate.firm_id)  # the ICS the mandate names
    sha = hashlib.sha256(mandate_pdf(mandate, sepa=sepa, language="fr")).hexdigest()

    def sign():
        return actions.accept_mandate(
            mandate.pk, contact=contact, signer_name="Jeanne", accepted=True, shown_sha256=sha
        )

    outcomes = run_together([sign for _ in range(2)])
    assert sum(isinstance(o, DomainError) for o in outcomes) == 1, outcomes
    assert Acceptance.objects.count() == 1
