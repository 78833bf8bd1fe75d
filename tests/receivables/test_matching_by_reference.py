"""A transfer quoting an invoice's payment reference (the RF printed on it and in its
QR code) is matched to that invoice before anything else its line says."""

import pytest
from stdnum import iso11649

from facturier.invoicing import actions as invoicing
from facturier.receivables import actions
from tests.receivables.camt import entry, statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(firm, make_client, make_draft, alice, template):
    """One invoice of 120.00 to Client SA, one of 240.00 to Autre SARL."""
    other = make_client(firm, "Autre SARL")
    other.owners.add(alice)
    first = invoicing.finalize_invoice(
        make_draft(lines=[{"description": "Bilan", "unit_price": "100", "vat_rate": "20"}]),
        by=alice,
    )
    second = invoicing.finalize_invoice(
        make_draft(
            client=other,
            lines=[{"description": "Paie", "unit_price": "200", "vat_rate": "20"}],
        ),
        by=alice,
    )
    return first, second


def matches(alice, *entries) -> list[tuple[int | None, str]]:
    imported = actions.import_bank_statement(by=alice, data=statement(*entries))
    return [(line.invoice_id, line.match) for line in imported.lines.order_by("line")]


def test_the_reference_wins_over_the_amount_and_the_payers_name(alice, two):
    first, second = two
    quoted = iso11649.format(first.payment_reference).lower()  # "rf.. 0000 001", as typed
    assert matches(
        alice, entry("240.00", text=f"virement {quoted} merci", debtor="AUTRE SARL")
    ) == [(first.pk, "reference")]


def test_the_reference_wins_over_another_invoices_number(alice, two):
    first, second = two
    text = f"FACT {second.number} REF {first.payment_reference}"
    assert matches(alice, entry("240.00", text=text)) == [(first.pk, "reference")]


def test_a_structured_creditor_reference_is_read(alice, two):
    first, _ = two
    unstructured = entry("999.00", text="PLACEHOLDER")
    structured = unstructured.replace(
        "<Ustrd>PLACEHOLDER</Ustrd>",
        "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
        f"<Ref>{first.payment_reference}</Ref></CdtrRefInf></Strd>",
    )
    assert matches(alice, structured) == [(first.pk, "reference")]


def test_a_reference_with_a_wrong_check_digit_is_not_taken(alice, two):
    first, second = two
    wrong = first.payment_reference[:2] + "00" + first.payment_reference[4:]
    assert matches(alice, entry("240.00", text=f"VIR {wrong}")) == [(second.pk, "amount")]


def test_a_reference_two_numbers_share_names_neither(firm, alice, make_draft, template):
    """F-0000001 and F0000001 (a prefix changed by a dash) give the same reference: the
    amount decides."""
    from facturier.invoicing.models import InvoiceSequence, Series

    InvoiceSequence.objects.update_or_create(
        firm=firm, series=Series.INVOICES, defaults={"prefix": "F-", "padding_length": 7}
    )
    numbering = InvoiceSequence.objects.filter(firm=firm, series=Series.INVOICES)
    dashed = invoicing.finalize_invoice(make_draft(), by=alice)
    numbering.update(prefix="F", next_number=1)  # set back by hand, as no page allows
    plain = invoicing.finalize_invoice(
        make_draft(lines=[{"description": "Paie", "unit_price": "200", "vat_rate": "20"}]),
        by=alice,
    )
    assert (dashed.number, plain.number) == ("F-0000001", "F0000001")
    assert plain.payment_reference == dashed.payment_reference
    text = f"VIR {plain.payment_reference}"
    assert matches(alice, entry("240.00", text=text)) == [(plain.pk, "amount")]
