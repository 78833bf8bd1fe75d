"""Finalizing a credit note says so: "Avoir AV-0000001 finalisé.", not "Facture ...
finalisée." (the message named every document an invoice)."""

import pytest
from django.urls import reverse
from django.utils import translation

from facturier.invoicing import actions

pytestmark = pytest.mark.django_db


def test_a_finalized_credit_note_is_named_a_credit_note(client, alice, finalized):
    note = actions.create_credit_note(finalized, by=alice)
    client.force_login(alice)
    with translation.override("fr"):
        response = client.post(
            reverse("billing:invoice_finalize", args=[note.pk]),
            {"then": "done"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    note.refresh_from_db()
    page = response.content.decode()
    assert f"Avoir {note.number} finalisé." in page
    assert f"Facture {note.number}" not in page
