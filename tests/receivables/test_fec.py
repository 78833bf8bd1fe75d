"""The FEC against the rules of the DGFiP's checking tool and of article A47 A-1 of the
LPF (fec_rules): over a year with documents and payments in euros, dollars and pounds,
and over the demo's books."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions, fec, fec_books

from . import fec_rules

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year - 1
NET = {"description": "Mission", "quantity": "1", "unit_price": "1000.00", "vat_rate": "20"}
EXPORT = {"description": "Conseil", "quantity": "1", "unit_price": "333.33", "vat_rate": "0"}


@pytest.fixture(autouse=True)
def _language_kept():
    """A request here activates the user's language: the next tests keep theirs."""
    language = translation.get_language()
    yield
    translation.activate(language)


def on(month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(YEAR, month, day, hour, tzinfo=datetime.UTC)


def file_of(firm, year=YEAR) -> tuple[bytes, list[str]]:
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), year)
    data = b"".join(fec.fec_bytes(firm.pk, start, end))
    found = fec_rules.problems(data, filename=fec.fec_filename(firm, end), start=start, end=end)
    return data, found


def rows_of(data: bytes) -> list[dict]:
    lines = data.decode("iso-8859-15").split("\r\n")[1:-1]
    return [dict(zip(fec_rules.COLUMNS, line.split("\t"), strict=True)) for line in lines]


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


@pytest.fixture
def foreign(firm, make_client, alice):
    """A client billed in dollars and one in pounds, both owned by alice."""
    dollars = make_client(firm, "Acme Inc", currency="USD", country="US")
    pounds = make_client(firm, "Pennyworth Ltd", currency="GBP", country="GB")
    for client in (dollars, pounds):
        client.owners.add(alice)
    return dollars, pounds, type(alice).objects.get(pk=alice.pk)


@pytest.fixture
def year(make_draft, alice, client_entity, foreign):
    """A year of books: invoices paid by one payment each, two by one payment, one partly
    paid, one credited, a refund; in dollars two invoices at different rates paid by one
    payment, and in pounds an invoice partly paid."""
    dollars, pounds, user = foreign

    def issue(when, lines=(NET,), **fields):
        draft = make_draft(by=user, lines=list(lines), **fields)
        return invoicing.finalize_invoice(draft, by=user, now=when)

    def pay(when, client, total, invoices, reference="", **fields):
        return actions.record_payment(
            by=user,
            client=client,
            amount=Decimal(total),
            received_on=when.date(),
            reference=reference,
            allocations=[{"invoice": i.pk} for i in invoices],
            now=when,
            **fields,
        )

    made = {"alone": issue(on(1, 10))}
    made["alone_paid"] = pay(on(2, 1), client_entity, "1200.00", [made["alone"]], "VIR 42")
    # Issued after the payment above was recorded: the journals interleave.
    made["pair"] = [issue(on(2, 5)), issue(on(2, 6))]
    made["pair_paid"] = pay(on(3, 1), client_entity, "2400.00", made["pair"], "VIR GROUPE")
    made["partly"] = issue(on(3, 5))
    pay(on(3, 20), client_entity, "200.00", [made["partly"]])
    credited = issue(on(4, 1))
    note = invoicing.create_credit_note(credited, by=user, now=on(4, 2))
    made["note"] = invoicing.finalize_invoice(note, by=user, now=on(4, 2, 11))
    extra = pay(on(5, 1), client_entity, "30.00", [])
    actions.refund_credit(extra, by=user, amount=Decimal("30.00"), on=on(5, 4).date(), now=on(5, 4))
    usd = {"client": dollars, "currency": "USD", "lines": [EXPORT]}
    made["usd"] = [
        issue(on(6, 1), exchange_rate="0.950000", **usd),
        issue(on(6, 2), exchange_rate="0.900000", **usd),
    ]
    made["usd_paid"] = pay(on(7, 1), dollars, "666.66", made["usd"], "WIRE 7781")
    gbp = {"client": pounds, "currency": "GBP", "lines": [EXPORT]}
    made["gbp"] = issue(on(8, 1), exchange_rate="1.171500", **gbp)
    pay(on(8, 20), pounds, "100.00", [made["gbp"]], "BACS 55")
    return made


def test_the_year_passes_the_rules_of_the_dgfip_tool(year, firm):
    data, found = file_of(firm)
    assert found == []
    rows = rows_of(data)
    assert {row["JournalCode"] for row in rows} == {"VT", "BQ"}
    # The file is in ISO 8859-15: the French labels' accents are single bytes.
    assert "TVA collectée 20%".encode("iso-8859-15") in data
    assert "TVA collectée 20%".encode() not in data


def test_documents_and_payments_in_other_currencies_are_booked_in_euros(year, firm):
    rows = rows_of(file_of(firm)[0])
    first, second = year["usd"]
    client = next(r for r in rows if r["PieceRef"] == first.number and r["CompteNum"] == "411000")
    assert (client["Idevise"], amount(client["Montantdevise"])) == ("USD", Decimal("333.33"))
    assert amount(client["Debit"]) == Decimal("316.66")  # 333.33 x 0.95
    revenue = next(r for r in rows if r["PieceRef"] == second.number and r["CompteNum"] == "706000")
    assert amount(revenue["Credit"]) == Decimal("300.00")  # 333.33 x 0.90
    gbp = next(
        r for r in rows if r["PieceRef"] == year["gbp"].number and r["CompteNum"] == "411000"
    )
    assert (gbp["Idevise"], amount(gbp["Debit"])) == ("GBP", Decimal("390.50"))  # 333.33 x 1.1715
    # Paid on one invoice only: the bank entry names the invoice.
    bank = next(
        r for r in rows if r["PieceRef"] == year["gbp"].number and r["CompteNum"] == "512000"
    )
    assert (amount(bank["Debit"]), bank["Montantdevise"], bank["Idevise"]) == (
        Decimal("117.15"),
        "100,00",
        "GBP",
    )
    # Nothing is left out any more; euros carry neither amount in currency nor code.
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), YEAR)
    assert fec.notice(firm.pk, start, end).skipped == fec.Skipped(0, 0)
    euro = next(r for r in rows if r["PieceRef"] == year["alone"].number)
    assert (euro["Montantdevise"], euro["Idevise"]) == ("", "")


def test_settled_invoices_are_lettered_with_their_payments_and_credit_notes(year, firm):
    rows = rows_of(file_of(firm)[0])
    clients = [r for r in rows if r["CompteNum"] == "411000"]

    def letters(piece):
        return {(r["EcritureLet"], r["DateLet"]) for r in clients if r["PieceRef"] == piece}

    alone = letters(year["alone"].number)
    assert len(alone) == 1 and next(iter(alone))[0]
    # One payment for one invoice: the bank entry names the invoice, and shares its letter.
    paid = [r for r in rows if r["JournalCode"] == "BQ" and r["PieceRef"] == year["alone"].number]
    assert {r["EcritureLet"] for r in paid if r["CompteNum"] == "411000"} == {next(iter(alone))[0]}
    assert next(iter(alone))[1] == f"{YEAR}0201"  # settled the day the money came
    # One payment for two invoices: its reference, one letter for the three lines.
    pair = letters(year["pair"][0].number) | letters(year["pair"][1].number) | letters("VIR GROUPE")
    (code, day), *others = pair
    assert (code != "", day, others) == (True, f"{YEAR}0301", [])
    assert letters(year["partly"].number) == {("", "")}  # not settled: no letter
    note = year["note"]
    assert letters(note.number) == letters(note.corrects.number) != {("", "")}
    # Letters run per client account, in the order its groups were settled.
    codes = {(r["CompAuxNum"], r["EcritureLet"]) for r in clients if r["EcritureLet"]}
    ours = sorted(code for aux, code in codes if aux == clients[0]["CompAuxNum"])
    assert ours == ["AA", "AB", "AC", "AD"]  # alone, pair, credited, refunded
    assert len(codes) == 5  # and the dollars


def test_two_rates_settled_by_one_payment_leave_an_exchange_difference(year, firm):
    rows = rows_of(file_of(firm)[0])
    entry = [r for r in rows if r["PieceRef"] == "WIRE 7781"]
    accounts = {r["CompteNum"]: (amount(r["Debit"]), amount(r["Credit"])) for r in entry}
    # 666.66 USD at the first invoice's rate (0.95) is 633.33 EUR; the invoices were
    # booked at 316.66 + 300.00: 16.67 EUR more came in, a gain.
    assert accounts["512000"] == (Decimal("633.33"), 0)
    assert accounts["766000"] == (0, Decimal("16.67"))
    letter = {r["EcritureLet"] for r in rows if r["CompAuxLib"] == "Acme Inc"}
    assert len(letter) == 1 and letter != {""}


def test_validation_dates_never_go_back_across_journals(year, firm):
    rows = rows_of(file_of(firm)[0])
    valid = [r["ValidDate"] for r in rows]
    assert valid == sorted(valid)
    journals = [r["JournalCode"] for r in rows]
    assert journals.index("BQ") < len(journals) - 1 - journals[::-1].index("VT")  # interleaved


def test_a_credit_note_carries_its_invoices_rate(foreign, make_draft):
    dollars, _pounds, user = foreign
    invoice = invoicing.finalize_invoice(
        make_draft(by=user, client=dollars, currency="USD", exchange_rate="0.9184", lines=[EXPORT]),
        by=user,
    )
    note = invoicing.create_credit_note(invoice, by=user)
    assert note.exchange_rate == Decimal("0.9184")


def test_values_iso_8859_15_cannot_hold_are_transliterated_and_said(
    make_draft, alice, client_entity, firm, api
):
    client_entity.name = "Łukasz Żak ‘Conseil’ — SARL"
    client_entity.save()
    invoice = invoicing.finalize_invoice(make_draft(), by=alice)
    actions.record_payment(
        by=alice,
        client=client_entity,
        amount=invoice.total_gross,
        received_on=invoice.issue_date,
        reference="東京 “42” – Œuvre",
        allocations=[],
    )
    response = api.get(f"/api/v1/exports/fec/?year={invoice.issue_date.year}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=iso-8859-15"
    assert response["X-Transliterated"] == "2"
    data = b"".join(response.streaming_content)
    text = data.decode("iso-8859-15")
    assert "Lukasz Zak 'Conseil' - SARL" in text
    assert '?? "42" - Œuvre' in text  # Œ is an ISO 8859-15 letter: kept
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), invoice.issue_date.year)
    assert (
        fec_rules.problems(data, filename=fec.fec_filename(firm, end), start=start, end=end) == []
    )


def test_the_exports_page_says_what_was_transliterated(client, alice, make_draft, client_entity):
    client_entity.name = "Łukasz Żak"
    client_entity.save()
    invoicing.finalize_invoice(make_draft(), by=alice)
    client.force_login(alice)
    page = client.get("/billing/exports/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Łukasz Żak → Lukasz Zak" in page
    assert "Le fichier est écrit en ISO 8859-15" in page


@pytest.mark.parametrize(
    "spoil, complaint",
    [
        (lambda text: text.encode("utf-8"), "UTF-8 text"),
        (lambda text: text.replace("\t", ";").encode("iso-8859-15"), "header"),
        (
            lambda text: text.replace("1200,00\t0,00", "1200,01\t0,00", 1).encode("latin-1"),
            "balance",
        ),
        (lambda text: text.replace("VT000002", "VT000009").encode("iso-8859-15"), "without a gap"),
        (
            lambda text: text.replace(f"\t{YEAR}0110\t", f"\t{YEAR + 1}0110\t", 1).encode(
                "latin-1"
            ),
            "outside",
        ),
    ],
)
def test_the_rules_catch_a_spoiled_file(year, firm, spoil, complaint):
    """The checks can fail: each spoiled copy of a good file is caught."""
    data, found = file_of(firm)
    assert found == []
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), YEAR)
    spoiled = spoil(data.decode("iso-8859-15"))
    found = fec_rules.problems(spoiled, filename=fec.fec_filename(firm, end), start=start, end=end)
    assert any(complaint in problem for problem in found), found


def test_the_demos_fec_passes_the_rules(db):
    call_command("load_demo", verbosity=0)
    invoice = Invoice.objects.exclude(number="").order_by("issue_date").select_related("firm")
    firm = invoice.first().firm
    years = sorted(
        {day.year for day in invoice.filter(firm=firm).values_list("issue_date", flat=True)}
    )
    currencies, letters = set(), set()
    for each in years:
        data, found = file_of(firm, each)
        assert found == [], each
        rows = rows_of(data)
        currencies |= {r["Idevise"] for r in rows}
        letters |= {(each, r["CompAuxNum"], r["EcritureLet"]) for r in rows if r["EcritureLet"]}
    assert {"USD", "GBP"} <= currencies  # the demo's dollars and pounds are in the books
    assert len(letters) >= 10  # its paid invoices are lettered


def test_what_no_rate_states_is_left_out_and_said(foreign, make_draft, client, firm):
    dollars, _pounds, user = foreign
    invoice = invoicing.finalize_invoice(
        make_draft(by=user, client=dollars, currency="USD", exchange_rate="0.9", lines=[EXPORT]),
        by=user,
    )
    # Finalized before a rate was asked for (the books of an older version).
    Invoice.objects.filter(pk=invoice.pk).update(exchange_rate=None)
    actions.record_payment(
        by=user,
        client=dollars,
        amount=Decimal("100.00"),
        received_on=invoice.issue_date,
        allocations=[{"invoice": invoice.pk}],
    )
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), invoice.issue_date.year)
    said = fec.notice(firm.pk, start, end)
    assert said.skipped == fec_books.books(firm.pk, start, end).skipped == fec.Skipped(1, 1)
    assert said.headers()["X-Left-Out"] == "documents=1; payments=1"
    data = b"".join(fec.fec_bytes(firm.pk, start, end))
    assert "Acme" not in data.decode("iso-8859-15")
    client.force_login(user)
    page = client.get("/billing/exports/").content.decode()
    assert "1 documents and 1 payments" in page or "1 pièces et 1 règlements" in page


def test_an_account_settled_across_two_years_is_lettered_in_neither(make_draft, alice, firm):
    """December's invoice paid in January: each year's file holds one side only."""
    december = datetime.datetime(YEAR - 1, 12, 20, 10, tzinfo=datetime.UTC)
    invoice = invoicing.finalize_invoice(make_draft(), by=alice, now=december)
    actions.record_payment(
        by=alice,
        client=invoice.client,
        amount=invoice.total_gross,
        received_on=on(1, 5).date(),
        allocations=[{"invoice": invoice.pk}],
        now=on(1, 5),
    )
    for each in (YEAR - 1, YEAR):
        data, found = file_of(firm, each)
        assert found == []
        assert {r["EcritureLet"] for r in rows_of(data)} == {""}


@pytest.mark.parametrize(
    "deposit_net, gross, owed",
    [("1000", "1200.00", "4800.00"), ("1000.50", "1200.60", "4799.40")],  # with cents too
)
def test_a_deposit_and_its_deduction_are_booked_once(
    make_draft, alice, client_entity, firm, deposit_net, gross, owed
):
    """The deposit invoice is a sale and its payment a payment; the invoice deducting it
    debits the client only with the amount due and takes the deposit's revenue and VAT
    off its own: revenue and VAT are counted once, every entry balances."""
    client_entity.owners.add(alice)
    user = type(alice).objects.get(pk=alice.pk)
    deposit = invoicing.draft_deposit(
        by=user, client=client_entity, amount=deposit_net, now=on(1, 5)
    )
    deposit = invoicing.finalize_invoice(deposit, by=user, now=on(1, 5))
    actions.record_payment(
        by=user,
        client=client_entity,
        amount=Decimal(gross),
        received_on=on(1, 20).date(),
        allocations=[{"invoice": deposit.pk}],
        now=on(1, 20),
    )
    line = {**NET, "unit_price": "5000.00"}
    final = make_draft(by=user, lines=[line])
    invoicing.deduct_deposits(final, by=user, now=on(3, 1))
    final = invoicing.finalize_invoice(final, by=user, now=on(3, 1))
    assert final.balance == Decimal(owed)
    data, found = file_of(firm)
    assert found == []
    rows = rows_of(data)
    for piece in (deposit.number, final.number):
        entry = [r for r in rows if r["PieceRef"] == piece and r["JournalCode"] == "VT"]
        debit = sum(amount(r["Debit"]) for r in entry)
        assert debit == sum(amount(r["Credit"]) for r in entry)
    sales = [r for r in rows if r["JournalCode"] == "VT"]
    client_lines = [r for r in sales if r["CompteNum"] == "411000"]
    assert sum(amount(r["Debit"]) for r in client_lines) == Decimal("6000.00")  # deposit + owed
    revenue = [r for r in sales if r["CompteNum"].startswith("706")]
    net = sum(amount(r["Credit"]) - amount(r["Debit"]) for r in revenue)
    assert net == Decimal("5000.00")  # the whole fee, once
    vat = [r for r in sales if r["CompteNum"].startswith("4457")]
    assert sum(amount(r["Credit"]) - amount(r["Debit"]) for r in vat) == Decimal("1000.00")
