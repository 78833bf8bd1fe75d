"""Letters to a client about its account, as PDFs: payment reminders and statements of
account. Pure: figures in, formatted document out, laid out by Typst in the look of
the firm's default invoice template.

Late-payment interest and the recovery indemnity are stated in a reminder, never
added to an invoice: the firm invoices them separately if it wants them.
"""

import base64
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from facturier.core import money
from facturier.core.formatting import Formatter
from facturier.core.identifiers import iban_for_reading
from facturier.invoicing.documents.layout import FONTS, PAPERS, legal_line, party_block
from facturier.invoicing.documents.renderer import get_renderer
from facturier.invoicing.snapshots import seller_snapshot, template_settings

LETTER = Path(__file__).resolve().parent / "documents" / "letter.typ"
# The fixed indemnity for recovery costs owed by a business paying late in France
# (Code de commerce, L441-10 II and D441-5), unless the firm states another amount.
FRENCH_INDEMNITY = Decimal("40.00")
DAYS_IN_YEAR = Decimal(365)


def interest(balance: Decimal, rate: Decimal | None, days: int, currency: str) -> Decimal:
    """Simple interest on `balance` at `rate` % a year for `days` days, to the cent."""
    if not rate or days <= 0 or balance <= 0:
        return money.quantize(Decimal(0), currency)
    return money.quantize(balance * Decimal(rate) / 100 * days / DAYS_IN_YEAR, currency)


def owes_indemnity(firm, client) -> bool:
    """A business client in France paying a French firm late owes the fixed indemnity."""
    business = bool(client.company_id or client.vat_number)
    return firm.country == "FR" and client.country == "FR" and business


def indemnity(firm, client, days: int) -> Decimal:
    if days <= 0 or not owes_indemnity(firm, client):
        return Decimal("0.00")
    return firm.recovery_indemnity or FRENCH_INDEMNITY


@dataclass
class Line:
    """One invoice as a reminder states it."""

    number: str
    issue_date: datetime.date
    due_date: datetime.date
    total: Decimal
    balance: Decimal
    days_late: int
    interest: Decimal
    indemnity: Decimal
    prepaid: Decimal = Decimal(0)  # the deposits the invoice deducts, paid before it

    @property
    def paid(self) -> Decimal:
        """Paid on the invoice itself: its deposits are not payments of it."""
        return self.total - self.prepaid - self.balance


@dataclass
class AccountEntry:
    """One movement on a statement of account: debit raises what the client owes."""

    day: datetime.date
    document: str
    label: str
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)


@dataclass
class StatementOfAccount:
    client: Any
    currency: str
    start: datetime.date
    end: datetime.date
    opening: Decimal
    entries: list[AccountEntry] = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((e.debit - e.credit for e in self.entries), Decimal(0))

    def running(self) -> list[tuple[AccountEntry, Decimal]]:
        balance, rows = self.opening, []
        for entry in self.entries:
            balance += entry.debit - entry.credit
            rows.append((entry, balance))
        return rows


def _frame(firm, client, template, language: str, day: datetime.date, title: str) -> dict:
    """What every letter shares: the firm's look and identity, the client's address."""
    look = template_settings(template)
    logo = None
    if look.get("logo"):
        logo = get_renderer(LETTER).logo_path(
            base64.b64decode(look["logo"]), look.get("logo_content_type", "")
        )
    seller = seller_snapshot(firm)
    seller_ids = []
    if firm.siren:
        seller_ids.append(_("SIREN %(siren)s") % {"siren": firm.siren})
    if firm.vat_number:
        seller_ids.append(_("VAT no. %(vat)s") % {"vat": firm.vat_number})
    buyer = {
        "name": client.name,
        "address_line1": client.address_line1,
        "address_line2": client.address_line2,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
    }
    fmt = Formatter(language, client.currency)
    place = f"{firm.city}, " if firm.city else ""
    return {
        "lang": language,
        "paper": PAPERS.get(look.get("paper"), "a4"),
        "font": FONTS.get(look.get("font"), "Inter"),
        "accent": look.get("accent_color") or "#1f4e79",
        "logo": logo,
        "seller": party_block(seller, seller_ids),
        "recipient": party_block(buyer, []),
        "title": title,
        "subtitle": "",
        "place_date": place + fmt.date(day.isoformat()),
        "legal_footer": legal_line(seller),
        "page_pattern": _("Page {page} of {pages}"),
    }


def letter_frame(firm, client, template, language: str, day: datetime.date, title: str) -> dict:
    """The frame every letter shares, for other documents laid out as letters."""
    return _frame(firm, client, template, language, day, title)


def render_at(document: dict[str, Any], timestamp: float) -> bytes:
    """A letter dated `timestamp`: the same bytes for the same content, every time."""
    return get_renderer(LETTER).render(document, timestamp=timestamp)


def reminder_document(
    *,
    firm,
    client,
    template,
    language: str,
    day: datetime.date,
    currency: str,
    lines: list[Line],
    rank: int,
) -> dict[str, Any]:
    with translation.override(language):
        fmt = Formatter(language, currency)
        eur = Formatter(language, "EUR")
        document = _frame(firm, client, template, language, day, _("Payment reminder"))
        document["subtitle"] = _("Reminder no. %(rank)d") % {"rank": rank}
        balance = sum((line.balance for line in lines), Decimal(0))
        interest_total = sum((line.interest for line in lines), Decimal(0))
        indemnity_total = sum((line.indemnity for line in lines), Decimal(0))
        deposits = any(line.prepaid for line in lines)
        columns = [_("Invoice"), _("Date"), _("Due date"), _("Total")]
        columns += [_("Deposits")] if deposits else []
        columns += [_("Paid"), _("Balance"), _("Days late"), _("Interest")]
        if indemnity_total:
            columns.append(_("Indemnity"))
        document.update(
            intro=_reminder_intro(
                firm, fmt, eur, balance=balance, interest=interest_total, indemnity=indemnity_total
            ),
            columns=columns,
            widths=["1fr"] + ["auto"] * (len(columns) - 1),
            aligns=["left", "left", "left"] + ["right"] * (len(columns) - 3),
            rows=[
                _reminder_row(line, fmt, eur, indemnity=bool(indemnity_total), deposits=deposits)
                for line in lines
            ],
            totals=_reminder_totals(
                fmt, eur, balance=balance, interest=interest_total, indemnity=indemnity_total
            ),
            outro=_reminder_outro(firm),
        )
    return document


def _reminder_intro(firm, fmt, eur, *, balance, interest, indemnity) -> list[str]:
    """What is asked, and on what grounds interest and the indemnity are stated."""
    intro = [
        _(
            "Unless we are mistaken, the invoices below have not been paid in full to "
            "this day. We would be grateful if you would pay the balance of %(balance)s "
            "without delay."
        )
        % {"balance": fmt.money(balance)}
    ]
    rate = firm.late_payment_penalty_rate
    if rate:
        intro.append(
            _(
                "Late-payment interest runs from each due date at the annual rate of "
                "%(rate)s; it is computed below to the date of this letter."
            )
            % {"rate": fmt.percent(rate)}
        )
    if indemnity:
        intro.append(
            _(
                "A business paying late also owes a fixed indemnity for recovery costs "
                "of %(amount)s per invoice (French Commercial Code, articles L441-10 "
                "and D441-5)."
            )
            % {"amount": eur.money(firm.recovery_indemnity or FRENCH_INDEMNITY)}
        )
    if interest or indemnity:
        intro.append(_("These amounts are stated here; they are not added to your invoices."))
    return intro


def _reminder_row(line: Line, fmt, eur, *, indemnity: bool, deposits: bool) -> list[str]:
    row = [
        line.number,
        fmt.date(line.issue_date.isoformat()),
        fmt.date(line.due_date.isoformat()),
        fmt.money(line.total),
        *([fmt.money(line.prepaid)] if deposits else []),
        fmt.money(line.paid),
        fmt.money(line.balance),
        str(max(line.days_late, 0)),
        fmt.money(line.interest),
    ]
    if indemnity:
        row.append(eur.money(line.indemnity))
    return row


def _reminder_totals(fmt, eur, *, balance, interest, indemnity) -> list[dict[str, Any]]:
    totals = [{"label": _("Balance due"), "value": fmt.money(balance), "strong": True}]
    if interest:
        totals.append(
            {"label": _("Late-payment interest"), "value": fmt.money(interest), "strong": False}
        )
    if indemnity:
        totals.append(
            {"label": _("Recovery indemnity"), "value": eur.money(indemnity), "strong": False}
        )
    return totals


def _reminder_outro(firm) -> list[str]:
    """How to pay, and what to do if already paid."""
    outro = []
    if firm.iban:
        bank = f"IBAN {iban_for_reading(firm.iban)}" + (f" · BIC {firm.bic}" if firm.bic else "")
        outro.append(_("Payment by bank transfer: %(bank)s.") % {"bank": bank})
    outro.append(_("If you have paid in the meantime, please disregard this letter."))
    outro.append(firm.name)
    return outro


def statement_document(
    *, firm, template, language: str, day: datetime.date, statement: StatementOfAccount
) -> dict[str, Any]:
    with translation.override(language):
        fmt = Formatter(language, statement.currency)
        document = _frame(
            firm, statement.client, template, language, day, _("Statement of account")
        )
        document["subtitle"] = _("From %(start)s to %(end)s") % {
            "start": fmt.date(statement.start.isoformat()),
            "end": fmt.date(statement.end.isoformat()),
        }
        rows = [
            [
                fmt.date(statement.start.isoformat()),
                "",
                _("Opening balance"),
                "",
                "",
                fmt.money(statement.opening),
            ]
        ]
        for entry, balance in statement.running():
            rows.append(
                [
                    fmt.date(entry.day.isoformat()),
                    entry.document,
                    entry.label,
                    fmt.money(entry.debit) if entry.debit else "",
                    fmt.money(entry.credit) if entry.credit else "",
                    fmt.money(balance),
                ]
            )
        closing = statement.closing
        label = _("Balance owed to us") if closing >= 0 else _("Balance in your favour")
        document.update(
            intro=[
                _("Here is your account with us over the period, in %(currency)s.")
                % {"currency": statement.currency}
            ],
            columns=[_("Date"), _("Document"), _("Description"), _("Debit"), _("Credit")]
            + [_("Balance")],
            widths=["auto", "auto", "1fr", "auto", "auto", "auto"],
            aligns=["left", "left", "left", "right", "right", "right"],
            rows=rows,
            totals=[{"label": label, "value": fmt.money(abs(closing)), "strong": True}],
            outro=[firm.name],
        )
    return document


def render(document: dict[str, Any]) -> bytes:
    return get_renderer(LETTER).render(document)
