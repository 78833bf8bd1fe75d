"""E-reporting files (flow 10 of the French e-invoicing reform, "FRR" in the Flow
Service's words): what a firm reports of the sales that are not e-invoiced and of the
money received on services, for one period, as pure functions of plain data.

One file holds one report (the tax administration's rule G6.29): a transactions report
(sales to private persons aggregated per day, category and VAT rate: 10.3) or a
payments report (money received on services: per invoice for businesses abroad, 10.2;
aggregated per day for private persons, 10.4). Sales to businesses abroad are deposited
as invoices (B2BInt) and e-reported by the platform from them, so they are not repeated
here (10.1). A correction is the period's report again, whole, typed RE.

The layout follows the administration's flow-10 schema (TB-0 Report); what we write is
checked against `schemas/frr/report.xsd`, the part of that schema our files use.
"""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from lxml import etree

# TT-81: what a day's sales were.
GOODS, SERVICES = "TLB1", "TPS1"
INITIAL, CORRECTION = "IN", "RE"  # TT-4
SIREN_SCHEME, PLATFORM_SCHEME = "0002", "0238"


@dataclass(frozen=True)
class Declarant:
    """Who reports (TG-5: the firm, by its SIREN) and through which platform (TG-3: its
    registration number with the tax administration, four characters)."""

    siren: str
    name: str
    platform_number: str
    platform_name: str


@dataclass
class DaySales:
    """TG-31: one day's sales of one category in one currency, per VAT rate."""

    day: datetime.date
    category: str
    currency: str
    count: int = 0
    by_rate: dict[Decimal, list[Decimal]] = field(default_factory=dict)  # rate: [base, vat]

    def add(self, rate: Decimal, base: Decimal, vat: Decimal) -> None:
        totals = self.by_rate.setdefault(rate, [Decimal(0), Decimal(0)])
        totals[0] += base
        totals[1] += vat


@dataclass(frozen=True)
class InvoicePayment:
    """TG-34: money received on one invoice (to a business abroad) on one day."""

    number: str
    issued: datetime.date
    day: datetime.date
    by_rate: tuple[tuple[Decimal, Decimal], ...]  # (rate, amount in euros)


@dataclass
class DayPayments:
    """TG-37: money received from private persons on one day, per VAT rate (euros)."""

    day: datetime.date
    by_rate: dict[Decimal, Decimal] = field(default_factory=dict)

    def add(self, rate: Decimal, amount: Decimal) -> None:
        self.by_rate[rate] = self.by_rate.get(rate, Decimal(0)) + amount


def _day(value: datetime.date) -> str:
    return value.strftime("%Y%m%d")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _text(parent, tag: str, value: str, **attributes):
    element = etree.SubElement(parent, tag, **attributes)
    element.text = value
    return element


def _document(
    report_id: str, declarant: Declarant, at: datetime.datetime, type_code: str
) -> etree._Element:
    """TB-0 and TB-1: the report's envelope."""
    root = etree.Element("Report")
    head = etree.SubElement(root, "ReportDocument")
    _text(head, "Id", report_id)
    stamp = etree.SubElement(head, "IssueDateTime")
    _text(stamp, "DateTimeString", at.strftime("%Y%m%d%H%M%S"))
    _text(head, "TypeCode", type_code)
    sender = etree.SubElement(head, "Sender")
    _text(sender, "Id", declarant.platform_number, schemeId=PLATFORM_SCHEME)
    _text(sender, "Name", declarant.platform_name)
    _text(sender, "RoleCode", "WK")
    issuer = etree.SubElement(head, "Issuer")
    _text(issuer, "Id", declarant.siren, schemeId=SIREN_SCHEME)
    _text(issuer, "Name", declarant.name)
    _text(issuer, "RoleCode", "SE")
    return root


def _period(parent, start: datetime.date, end: datetime.date) -> None:
    period = etree.SubElement(parent, "ReportPeriod")
    _text(period, "StartDate", _day(start))
    _text(period, "EndDate", _day(end))


def transactions_report(
    *,
    report_id: str,
    declarant: Declarant,
    start: datetime.date,
    end: datetime.date,
    days: list[DaySales],
    at: datetime.datetime,
    type_code: str = INITIAL,
) -> bytes:
    root = _document(report_id, declarant, at, type_code)
    report = etree.SubElement(root, "TransactionsReport")
    _period(report, start, end)
    for sales in sorted(days, key=lambda d: (d.day, d.category, d.currency)):
        block = etree.SubElement(report, "Transactions")
        _text(block, "Date", _day(sales.day))
        _text(block, "TransactionsCurrency", sales.currency)
        _text(block, "CategoryCode", sales.category)
        rates = sorted(sales.by_rate.items())
        _text(block, "TaxExclusiveAmount", _amount(sum((b for _r, (b, _v) in rates), Decimal(0))))
        _text(block, "TaxTotal", _amount(sum((v for _r, (_b, v) in rates), Decimal(0))))
        _text(block, "TransactionsCount", str(sales.count))
        for rate, (base, vat) in rates:
            subtotal = etree.SubElement(block, "TaxSubtotal")
            _text(subtotal, "TaxPercent", _rate(rate))
            _text(subtotal, "TaxableAmount", _amount(base))
            _text(subtotal, "TaxTotal", _amount(vat))
    return _bytes(root)


def payments_report(
    *,
    report_id: str,
    declarant: Declarant,
    start: datetime.date,
    end: datetime.date,
    invoices: list[InvoicePayment],
    days: list[DayPayments],
    at: datetime.datetime,
    type_code: str = INITIAL,
) -> bytes:
    root = _document(report_id, declarant, at, type_code)
    report = etree.SubElement(root, "PaymentsReport")
    _period(report, start, end)
    for paid in sorted(invoices, key=lambda p: (p.day, p.number)):
        block = etree.SubElement(report, "Invoice")
        _text(block, "InvoiceID", paid.number)
        _text(block, "IssueDate", _day(paid.issued))
        _payment(block, paid.day, paid.by_rate)
    for received in sorted(days, key=lambda d: d.day):
        block = etree.SubElement(report, "Transactions")
        _payment(block, received.day, sorted(received.by_rate.items()))
    return _bytes(root)


def _payment(parent, day: datetime.date, by_rate) -> None:
    payment = etree.SubElement(parent, "Payment")
    _text(payment, "Date", _day(day))
    for rate, amount in by_rate:
        subtotal = etree.SubElement(payment, "SubTotals")
        _text(subtotal, "TaxPercent", _rate(rate))
        _text(subtotal, "CurrencyCode", "EUR")
        _text(subtotal, "Amount", _amount(amount))


def _bytes(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(Path(__file__).parent / "schemas/frr/report.xsd")))


def schema_errors(content: bytes) -> list[str]:
    """What breaks the flow-10 layout in `content` (empty: nothing)."""
    try:
        document = etree.fromstring(content)
    except etree.XMLSyntaxError as exc:
        return [str(exc)]
    schema = _schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
