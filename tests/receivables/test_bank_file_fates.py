"""Every transaction of a bank file has a fate the user is told: a line to match, a
line set aside with its reason, or the duplicate of a line an earlier file brought.
The shapes are those banks write: batch entries, references reused, amounts converted
from another currency, charges taken, reversals, returns, intraday reports and
notifications, MT940."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from facturier.core.errors import Invalid
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions
from facturier.receivables.models import BankStatement, StatementLine
from tests.receivables.camt import document, ntry, tx

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


def fates(statement: BankStatement) -> list[tuple]:
    """Each line kept: where it is, its amount, its state and why it is set aside."""
    return [
        (line.line, line.entry, line.amount, line.currency, line.state, line.skip)
        for line in statement.lines.order_by("line")
    ]


def accounted(statement: BankStatement) -> dict[str, int]:
    """The summary, which must account for every transaction of the file."""
    summary = statement.summary()
    assert (
        summary["imported"] + summary["set_aside"] + summary["duplicates"]
        == (summary["transactions"])
    )
    return summary


def batch_of_three(bank_ref="LOT-1") -> str:
    """A batch entry: three transfers under one entry and one reference."""
    return ntry(
        "600.00",
        tx(("100.00", "EUR"), credit=True, end_to_end="E-1", debtor="ALPHA", text="FACT A"),
        tx(("200.00", "EUR"), credit=True, end_to_end="E-2", debtor="BETA", text="FACT B"),
        tx(("300.00", "EUR"), credit=True, end_to_end="E-3", debtor="GAMMA", text="FACT C"),
        bank_ref=bank_ref,
        batch=3,
    )


def test_a_batch_entry_becomes_its_transactions_and_a_reused_reference_loses_nothing(alice):
    data = document(
        batch_of_three(),
        # The bank reuses the reference for another entry of the same day.
        ntry("100.00", tx(end_to_end="E-9", debtor="DELTA", text="FACT A"), bank_ref="LOT-1"),
    )
    imported = actions.import_bank_statement(by=alice, data=data)
    assert fates(imported) == [
        (1, 1, Decimal("100.00"), "EUR", "proposed", ""),
        (2, 1, Decimal("200.00"), "EUR", "proposed", ""),
        (3, 1, Decimal("300.00"), "EUR", "proposed", ""),
        (4, 2, Decimal("100.00"), "EUR", "proposed", ""),
    ]
    assert [line.debtor_name for line in imported.lines.order_by("line")] == [
        "ALPHA",
        "BETA",
        "GAMMA",
        "DELTA",
    ]
    assert accounted(imported) == {
        "transactions": 4,
        "entries": 2,
        "imported": 4,
        "set_aside": 0,
        "duplicates": 0,
    }


def test_a_file_again_is_refused_and_a_later_one_tells_which_lines_it_repeats(alice):
    first = actions.import_bank_statement(by=alice, data=document(batch_of_three()), filename="a")
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=document(batch_of_three()))
    assert refused.value.codes == {"file": ["already_imported"]}
    assert refused.value.errors["file"][0].endswith(
        "(its 3 transactions were imported before). Imported with: a."
    )
    # The next day's file repeats the batch (the bank's statements overlap) and adds one.
    later = actions.import_bank_statement(
        by=alice,
        data=document(
            batch_of_three(),
            ntry("50.00", tx(end_to_end="E-4", text="FACT D"), bank_ref="LOT-1", day="2026-11-21"),
            statement_id="STMT-2",
        ),
    )
    assert fates(later) == [(4, 2, Decimal("50.00"), "EUR", "proposed", "")]
    assert [(d["line"], d["statement"], d["statement_line"]) for d in later.duplicates] == [
        (1, first.pk, 1),
        (2, first.pk, 2),
        (3, first.pk, 3),
    ]
    assert accounted(later)["duplicates"] == 3


def test_a_file_bringing_only_new_money_paid_out_is_refused_saying_so(alice):
    actions.import_bank_statement(by=alice, data=document(batch_of_three()))
    again = document(batch_of_three(), ntry("3.00", tx(text="FRAIS"), credit=False))
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=again)
    assert (
        "3 of its 4 transactions imported before, the others money paid out"
        in (refused.value.errors["file"][0])
    )
    assert BankStatement.objects.count() == 1


def test_two_identical_transactions_in_one_file_are_two(alice):
    twice = tx(("10.00", "EUR"), text="ACOMPTE")
    imported = actions.import_bank_statement(
        by=alice, data=document(ntry("20.00", twice, twice, batch=2))
    )
    assert fates(imported) == [
        (1, 1, Decimal("10.00"), "EUR", "proposed", ""),
        (2, 1, Decimal("10.00"), "EUR", "proposed", ""),
    ]


def test_a_batch_without_amounts_in_the_accounts_currency_is_set_aside_not_guessed(alice):
    data = document(
        ntry(
            "20.00",
            tx(("12.00", "CHF"), text="A"),
            tx(("9.00", "CHF"), text="B"),
            batch=2,
        )
    )
    lines = list(actions.import_bank_statement(by=alice, data=data).lines.order_by("line"))
    assert [(line.state, line.skip, line.instructed_amount) for line in lines] == [
        ("skipped", "no_amount", Decimal("12.00")),
        ("skipped", "no_amount", Decimal("9.00")),
    ]


def test_the_booked_amount_is_read_and_the_instructed_one_kept_beside_it(alice):
    # Paid in EUR, credited in GBP: the bank's v.08 shape puts the EUR amount first.
    converted = ntry(
        "850.00",
        tx(
            ("1000.00", "EUR"),
            credit=True,
            instructed=("1000.00", "EUR"),
            counter_value=("850.00", "GBP"),
            end_to_end="INV-7",
        ),
        currency="GBP",
        bank_ref="FX-1",
        coded_status=True,
    )
    # A batch whose transactions name their USD amount first and their GBP one after.
    batch = ntry(
        "170.00",
        tx(("120.00", "USD"), transaction=("95.00", "GBP"), credit=True, end_to_end="U-1"),
        tx(("100.00", "USD"), counter_value=("75.00", "GBP"), credit=True, end_to_end="U-2"),
        currency="GBP",
        bank_ref="FX-2",
        coded_status=True,
    )
    imported = actions.import_bank_statement(
        by=alice, data=document(converted, batch, version="08", currency="GBP")
    )
    lines = list(imported.lines.order_by("line"))
    assert [
        (line.amount, line.currency, line.instructed_amount, line.instructed_currency)
        for line in lines
    ] == [
        (Decimal("850.00"), "GBP", Decimal("1000.00"), "EUR"),
        (Decimal("95.00"), "GBP", Decimal("120.00"), "USD"),
        (Decimal("75.00"), "GBP", Decimal("100.00"), "USD"),
    ]
    assert accounted(imported)["imported"] == 3


def test_a_credit_net_of_charges_is_the_money_received(make_draft, alice, template):
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    data = document(
        ntry(
            "118.50",
            tx(
                instructed=("120.00", "EUR"),
                charges=("1.50", "EUR"),
                end_to_end=invoice.number,
                debtor="CLIENT SA",
            ),
            bank_ref="C-1",
        ),
        ntry("2.40", tx(text="FRAIS TENUE DE COMPTE"), credit=False, bank_ref="C-1"),
    )
    imported = actions.import_bank_statement(by=alice, data=data)
    credit, charges = imported.lines.order_by("line")
    assert (credit.amount, credit.instructed_amount, credit.invoice_id) == (
        Decimal("118.50"),
        Decimal("120.00"),
        invoice.pk,
    )
    assert (charges.amount, charges.state, charges.skip) == (Decimal("-2.40"), "skipped", "debit")
    actions.confirm_statement_lines(
        imported, by=alice, decisions=[{"line": credit.pk, "invoice": invoice.pk}]
    )
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("1.50")


def test_reversals_returns_and_pending_entries_are_set_aside_with_their_reason(alice):
    data = document(
        ntry("40.00", tx(end_to_end="R-1"), reversal=True, bank_ref="R"),
        ntry("75.00", tx(end_to_end="R-2", returned="AC04"), bank_ref="R"),
        ntry("60.00", tx(end_to_end="R-3"), credit=False, family="UPDD", bank_ref="R"),
        ntry("90.00", tx(end_to_end="R-4"), status="PDNG", bank_ref="R"),
        ntry("0.00", tx(end_to_end="R-5"), bank_ref="R"),
        ntry("10.00", tx(end_to_end="R-6", creditor_ref="RF18539007547034"), bank_ref="R"),
    )
    imported = actions.import_bank_statement(by=alice, data=data)
    lines = list(imported.lines.order_by("line"))
    assert [(line.state, line.skip, line.skip_detail) for line in lines] == [
        ("skipped", "reversal", ""),
        ("skipped", "return", "AC04 RETOUR"),
        ("skipped", "return", "UPDD"),
        ("skipped", "not_booked", "PDNG"),
        ("skipped", "nothing", ""),
        ("proposed", "", ""),
    ]
    assert lines[5].label == "RF18539007547034"
    assert accounted(imported) == {
        "transactions": 6,
        "entries": 6,
        "imported": 1,
        "set_aside": 5,
        "duplicates": 0,
    }


def test_a_notification_holding_only_a_return_is_imported_to_report_it(alice):
    data = document(
        ntry("120.00", tx(end_to_end="PRLV-9", returned="MD06"), credit=False, family="UPDD"),
        message="camt.054",
        version="08",
    )
    imported = actions.import_bank_statement(by=alice, data=data)
    assert imported.format == "camt054"
    assert fates(imported) == [(1, 1, Decimal("-120.00"), "EUR", "skipped", "return")]
    assert imported.lines.get().reference == "PRLV-9"


def test_an_intraday_report_then_the_days_statement(alice):
    pending = ntry("90.00", tx(end_to_end="P-1"), status="PDNG", coded_status=True)
    booked = ntry("45.00", tx(end_to_end="B-1"), coded_status=True)
    report = actions.import_bank_statement(
        by=alice, data=document(pending, booked, message="camt.052", version="08")
    )
    assert report.format == "camt052"
    assert [(line.state, line.skip) for line in report.lines.order_by("line")] == [
        ("skipped", "not_booked"),
        ("proposed", ""),
    ]
    # The evening's statement: the pending credit is booked now, the other repeats.
    day = actions.import_bank_statement(
        by=alice,
        data=document(
            ntry("90.00", tx(end_to_end="P-1"), coded_status=True),
            booked,
            version="08",
        ),
    )
    assert fates(day) == [(1, 1, Decimal("90.00"), "EUR", "proposed", "")]
    assert [(d["line"], d["statement"], d["statement_line"]) for d in day.duplicates] == [
        (2, report.pk, 2)
    ]
    assert accounted(day)["transactions"] == 2


def test_one_file_of_two_accounts_keeps_each_accounts_transactions(alice):
    same = ntry("100.00", tx(end_to_end="E-1", text="FACT A"), bank_ref="R-1")
    first = document(same, account="FR7630006000011234567890189")
    second = document(same, account="FR7610107001011234567890129")
    # One document, two statements: the second account's Stmt after the first's.
    start = second.index(b"<Stmt>")
    end = second.index(b"</Stmt>") + len(b"</Stmt>")
    both = first.replace(b"</Stmt>", b"</Stmt>" + second[start:end], 1)
    imported = actions.import_bank_statement(by=alice, data=both)
    assert fates(imported) == [
        (1, 1, Decimal("100.00"), "EUR", "proposed", ""),
        (2, 2, Decimal("100.00"), "EUR", "proposed", ""),
    ]


def test_a_batch_without_details_is_one_transaction(alice):
    imported = actions.import_bank_statement(
        by=alice, data=document(ntry("300.00", batch=5, bank_ref="SUM"))
    )
    assert fates(imported) == [(1, 1, Decimal("300.00"), "EUR", "proposed", "")]


def test_lines_kept_under_the_banks_reference_before_still_count(alice, firm):
    """Lines imported when the key was the bank's entry reference are recognised by that
    reference with the same day and amount; the others of the batch come in now."""
    earlier = BankStatement.objects.create(
        firm=firm, filename="old.xml", format="camt053", imported_at="2026-11-20T10:00Z"
    )
    StatementLine.objects.create(
        firm=firm,
        statement=earlier,
        line=1,
        booked_on="2026-11-20",
        amount=Decimal("100.00"),
        currency="EUR",
        key="ref:LOT-1",
    )
    later = actions.import_bank_statement(by=alice, data=document(batch_of_three()))
    assert [line.amount for line in later.lines.order_by("line")] == [
        Decimal("200.00"),
        Decimal("300.00"),
    ]
    assert [(d["line"], d["statement"]) for d in later.duplicates] == [(1, earlier.pk)]


MT940 = b"""{1:F01BNPAFRPPXXX0000000000}{2:O9401200261120BNPAFRPPXXX00000000002611201200N}{4:
:20:RELEVE-1120
:25:30004000/0123456789
:28C:00321/001
:60F:C261119EUR1000,00
:61:2611201120C120,00NTRFNONREF//ABC
:86:VIR SEPA CLIENT SA FACT F-1
:61:2611201120C80,00NTRFNONREF//ABC
:86:VIR SEPA DURAND FACT F-2
:61:2611201120D12,00NCHGNONREF//ABC
:86:FRAIS
:61:2611201120RC40,00NTRFNONREF//ABC
:86:ANNULATION
:62F:C261120EUR1148,00
-}
"""


def test_an_mt940_statement(alice):
    imported = actions.import_bank_statement(by=alice, data=MT940, filename="releve.sta")
    assert imported.format == "mt940"
    assert fates(imported) == [
        (1, 1, Decimal("120.00"), "EUR", "proposed", ""),
        (2, 2, Decimal("80.00"), "EUR", "proposed", ""),
        (3, 3, Decimal("-12.00"), "EUR", "skipped", "debit"),
        (4, 4, Decimal("40.00"), "EUR", "skipped", "reversal"),
    ]
    assert imported.lines.get(line=2).label == "VIR SEPA DURAND FACT F-2"
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=MT940)
    assert refused.value.codes == {"file": ["already_imported"]}


def test_a_file_of_money_paid_out_only_is_refused_saying_so(alice):
    data = document(ntry("5.00", tx(text="FRAIS"), credit=False), ntry("0.00", tx()))
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=data)
    assert refused.value.codes == {"file": ["no_credit"]}
    assert "2 transactions are money paid out" in refused.value.errors["file"][0]
    assert not BankStatement.objects.exists()


def test_an_mt940_file_naming_a_path_is_not_read_as_one(alice, tmp_path):
    path = tmp_path / "releve.sta"
    path.write_bytes(MT940)
    with pytest.raises(Invalid) as refused:
        actions.import_bank_statement(by=alice, data=str(path).encode(), fmt="mt940")
    assert refused.value.codes == {"file": ["invalid_file"]}
    assert not StatementLine.objects.exists()


def test_the_page_and_the_api_account_for_the_file(client, api, alice):
    first = actions.import_bank_statement(by=alice, data=document(batch_of_three()))
    data = document(
        batch_of_three(),
        ntry("5.00", tx(text="FRAIS"), credit=False),
        ntry("70.00", tx(end_to_end="N-1", text="FACT E"), day="2026-11-22"),
        statement_id="STMT-2",
    )
    answer = api.post(
        "/api/v1/statements/",
        {"file": SimpleUploadedFile("nov.xml", data)},
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["summary"] == {
        "transactions": 5,
        "entries": 3,
        "imported": 1,
        "set_aside": 1,
        "duplicates": 3,
    }
    assert [(d["line"], d["statement"], d["statement_line"]) for d in body["duplicates"]] == [
        (1, first.pk, 1),
        (2, first.pk, 2),
        (3, first.pk, 3),
    ]
    assert [(line["line"], line["state"], line["skip"]) for line in body["lines"]] == [
        (4, "skipped", "debit"),
        (5, "proposed", ""),
    ]
    client.force_login(type(alice).objects.get(pk=alice.pk))
    page = client.get(reverse("billing:statement", args=[body["id"]]))
    text = page.content.decode()
    assert "5 transactions in 3 entries: 1 to match, 3 imported before, 1 set aside" in text
    assert "Line 2: already imported as line 2 of" in text
    assert 'data-skip="debit"' in text
    # The batch's lines name their entry; a line alone in its entry does not.
    first_page = client.get(reverse("billing:statement", args=[first.pk])).content.decode()
    assert first_page.count("entry 1") == 3 and "entry 2" not in text
