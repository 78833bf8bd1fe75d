"""Bank statements: matched by number, then by amount; confirmed into payments; never
imported twice; bad files refused whole, naming the line."""

import datetime
from decimal import Decimal

import pytest

from facturier.core.errors import Invalid, NotAllowed
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions
from facturier.receivables.models import BankStatement, Payment, StatementLine
from tests.receivables.camt import entry, statement

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


@pytest.fixture
def invoices(make_draft, alice, template):
    """Three finalized invoices: 120.00, 240.00 and 360.00."""
    return [
        invoicing.finalize_invoice(
            make_draft(lines=[{**LINE, "unit_price": str(100 * n)}]), by=alice
        )
        for n in (1, 2, 3)
    ]


def three_lines(invoices) -> bytes:
    first, second, third = invoices
    return statement(
        entry("120.00", text=f"VIR SEPA CLIENT SA FACT {first.number}", bank_ref="B1"),
        entry("240.00", end_to_end=second.number, debtor="CLIENT SA", bank_ref="B2"),
        entry("360.00", text="VIREMENT CLIENT SA NOVEMBRE", bank_ref="B3"),
        entry("55.10", credit=False, text="FRAIS BANCAIRES", bank_ref="B4"),
    )


def test_three_lines_two_by_number_one_by_amount_then_confirmed(invoices, alice):
    imported = actions.import_bank_statement(
        by=alice, data=three_lines(invoices), filename="nov.xml"
    )
    *lines, debit = list(imported.lines.order_by("line"))
    assert [(line.invoice_id, line.match) for line in lines] == [
        (invoices[0].pk, "number"),
        (invoices[1].pk, "number"),
        (invoices[2].pk, "amount"),
    ]
    # The debit is set aside, told as what it is, and never offered as a payment.
    assert (debit.state, debit.skip, debit.amount) == ("skipped", "debit", Decimal("-55.10"))
    assert lines[0].booked_on == datetime.date(2026, 11, 20)
    actions.confirm_statement_lines(
        imported,
        by=alice,
        decisions=[{"line": line.pk, "invoice": line.invoice_id} for line in lines],
    )
    for invoice in invoices:
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert (invoice.balance, invoice.status) == (0, "closed")
    assert Payment.objects.count() == 3
    assert set(StatementLine.objects.values_list("state", flat=True)) == {"confirmed", "skipped"}
    payment = StatementLine.objects.get(line=1).payment
    assert payment.method == "transfer" and invoices[0].number in payment.reference


def test_the_same_statement_twice_is_refused_and_adds_nothing(invoices, alice):
    actions.import_bank_statement(by=alice, data=three_lines(invoices))
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=three_lines(invoices))
    assert refused.value.codes["file"] == ["already_imported"]
    assert BankStatement.objects.count() == 1 and StatementLine.objects.count() == 4


def test_a_later_statement_brings_only_its_new_lines(invoices, alice):
    actions.import_bank_statement(by=alice, data=statement(entry("120.00", bank_ref="B1")))
    later = actions.import_bank_statement(
        by=alice,
        data=statement(entry("120.00", bank_ref="B1"), entry("240.00", bank_ref="B9")),
    )
    assert [line.amount for line in later.lines.all()] == [Decimal("240.00")]


def test_two_alike_payments_in_one_file_without_bank_references_are_two(invoices, alice):
    twice = statement(entry("10.00", text="ACOMPTE"), entry("10.00", text="ACOMPTE"))
    assert actions.import_bank_statement(by=alice, data=twice).lines.count() == 2
    with pytest.raises(Invalid):
        actions.import_bank_statement(by=alice, data=twice)


def test_an_ambiguous_amount_is_matched_by_the_payers_name_or_not_at_all(
    make_draft, alice, template, make_client, firm
):
    other = make_client(firm, name="Boulangerie Durand")
    other.owners.add(alice)
    mine = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    theirs = invoicing.finalize_invoice(make_draft(lines=[LINE], client=other), by=alice)
    named = actions.import_bank_statement(
        by=alice, data=statement(entry("120.00", debtor="BOULANGERIE DURAND", bank_ref="X1"))
    )
    assert named.lines.get().invoice_id == theirs.pk
    # Two invoices owe 120.00 and nothing names the payer: nothing is guessed.
    anonymous = actions.import_bank_statement(
        by=alice, data=statement(entry("120.00", bank_ref="X2"))
    )
    assert anonymous.lines.get().invoice_id is None
    named_line = named.lines.get()
    actions.confirm_statement_lines(
        named, by=alice, decisions=[{"line": named_line.pk, "invoice": theirs.pk}]
    )
    # Once theirs is paid, one invoice owes 120.00: the amount is enough.
    later = actions.import_bank_statement(by=alice, data=statement(entry("120.00", bank_ref="X3")))
    assert later.lines.get().invoice_id == mine.pk


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"<Document><unclosed></Document>", "malformed"),
        (
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
            "entities",
        ),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>", "camt.053"),
        (statement(entry("12,O0")), "not an amount"),
        (statement(entry("10.00", day="2026-13-45")), "not a date"),
        (b"", "empty"),
    ],
)
def test_bad_files_are_refused_whole_with_the_reason(invoices, alice, data, needle):
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=data)
    assert needle in refused.value.errors["file"][0]
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()


FRENCH_CSV = (
    "Date;Libellé;Montant;Référence\n"
    "20/11/2026;VIR CLIENT SA {number};120,00;R1\n"
    "21/11/2026;PRLV EDF;-45,10;R2\n"
    "22/11/2026;VIR INCONNU;1 250,00;R3\n"
)


def test_a_csv_with_the_firms_columns_saved_for_next_time(invoices, alice):
    mapping = {
        "date": "Date",
        "amount": "Montant",
        "label": "Libellé",
        "reference": "Référence",
        "date_format": "%d/%m/%Y",
        "decimal_comma": True,
    }
    data = FRENCH_CSV.format(number=invoices[0].number).encode("cp1252")
    imported = actions.import_bank_statement(
        by=alice, data=data, filename="releve.csv", mapping=mapping
    )
    lines = list(imported.lines.order_by("line"))
    assert [(line.amount, line.invoice_id, line.skip) for line in lines] == [
        (Decimal("120.00"), invoices[0].pk, ""),
        (Decimal("-45.10"), None, "debit"),
        (Decimal("1250.00"), None, ""),
    ]
    # Saved: the next file is read the same way without saying it again.
    again = FRENCH_CSV.format(number=invoices[0].number) + "23/11/2026;VIR 2;240,00;R4\n"
    assert actions.import_bank_statement(by=alice, data=again.encode("cp1252")).lines.count() == 1


def test_a_bad_csv_line_is_named_and_nothing_is_imported(invoices, alice):
    mapping = {"date": "Date", "amount": "Montant", "label": "Libellé", "decimal_comma": True}
    data = "Date;Libellé;Montant\n20/11/2026;A;10,00\n31/02/2026;B;11,00\n".encode()
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=data, mapping=mapping)
    assert "Line 3" in refused.value.errors["file"][0]
    missing = "Jour;Libellé;Montant\n20/11/2026;A;10,00\n".encode()
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=missing, mapping=mapping)
    assert refused.value.codes["file"] == ["missing_column"]
    assert not StatementLine.objects.exists()


def test_confirming_is_all_or_nothing_and_once(invoices, alice):
    imported = actions.import_bank_statement(by=alice, data=three_lines(invoices))
    lines = list(imported.lines.order_by("line"))
    with pytest.raises(Invalid) as refused:
        actions.confirm_statement_lines(
            imported,
            by=alice,
            decisions=[
                {"line": lines[0].pk, "invoice": lines[0].invoice_id},
                {"line": lines[1].pk, "invoice": 999999},
            ],
        )
    assert "Line 2" in refused.value.errors["lines.2"][0]
    assert not Payment.objects.exists()
    actions.confirm_statement_lines(
        imported, by=alice, decisions=[{"line": lines[2].pk, "ignore": True}]
    )
    with pytest.raises(Exception) as again:
        actions.confirm_statement_lines(
            imported, by=alice, decisions=[{"line": lines[2].pk, "invoice": invoices[2].pk}]
        )
    assert "dealt with already" in str(again.value)


def test_importing_needs_the_processing_permission(invoices, staff):
    with pytest.raises(NotAllowed):
        actions.import_bank_statement(by=staff["owner_only"], data=three_lines(invoices))
    assert not BankStatement.objects.exists()


def test_a_csv_whose_lines_end_with_a_carriage_return_alone_is_read():
    from facturier.receivables.bank_files import StatementError, parse_csv

    mapping = {"date": "Date", "amount": "Amount", "label": "Label", "decimal_comma": "1"}
    lines = parse_csv(b"Date;Amount;Label\r01/02/2026;12,50;VIR X\r", mapping, currency="EUR")
    assert [(line.amount, line.label) for line in lines] == [(Decimal("12.50"), "VIR X")]
    # A stray control character in the header is a refusal naming the line, not a crash.
    with pytest.raises(StatementError):
        parse_csv(b'Date;Amount\n"x"y"\n', mapping, currency="EUR")
