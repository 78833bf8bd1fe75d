"""A draft reopened in its editor shows its unit prices with their cents, as a French
user typed them (80,40 and 1234,50), not 80,4 and 1234,5."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_reopened_draft_keeps_the_cents_of_its_prices(client, alice, make_draft):
    line = {"description": "Conseil", "quantity": "2.25", "vat_rate": "20"}
    draft = make_draft(
        lines=[
            {**line, "unit_price": "80.40"},
            {**line, "unit_price": "1234.50"},
            {**line, "unit_price": "100"},
            {**line, "unit_price": "0.125"},
        ]
    )
    client.force_login(alice)
    page = client.get(
        reverse("billing:invoice_edit", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    for shown in ("80,40", "1234,50", "100,00", "0,125"):
        assert f'name="line_unit_price" inputmode="decimal" value="{shown}"' in page, shown
    assert 'value="2,25"' in page  # a quantity keeps only the decimals it needs
