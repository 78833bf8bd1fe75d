"""Reading SWIFT MT940 statements, which some banks still send, with the mt-940
library: one line per :61: statement line, with the :86: text that follows it.

The library is given a file object, never the bytes themselves: given bytes or a
string, it first tries them as the path of a file to read.
"""

import datetime
import io
import re
from decimal import Decimal

import mt940 as swift
from django.utils.translation import gettext_lazy as _
from mt940.options import Options

from .bank_files import Skip, StatementError, StatementLine, single_line

CENT = Decimal("0.01")


def parse_mt940(data: bytes) -> list[StatementLine]:
    try:
        statements = swift.parse_statements(io.BytesIO(data), options=Options(strip_bom=True))
    except Exception:  # the library's own errors, or a field it expected and did not find
        raise StatementError(_("This is not an MT940 statement that can be read.")) from None
    if not any(statement.data.get("account_identification") for statement in statements):
        raise StatementError(_("This is not an MT940 statement that can be read."))
    lines: list[StatementLine] = []
    for statement in statements:
        account = single_line(statement.data.get("account_identification"), 60)
        for transaction in statement:
            lines.append(_line(transaction.data, len(lines) + 1, account))
    return lines


def _line(data: dict, number: int, account: str) -> StatementLine:
    amount = getattr(data.get("amount"), "amount", None)
    day = data.get("entry_date") or data.get("date")
    if amount is None or day is None or amount != amount.quantize(CENT):
        raise StatementError(
            _("Line %(line)d: the amount or the date cannot be read.") % {"line": number},
            line=number,
        )
    status = str(data.get("status") or "")
    label = single_line(data.get("transaction_details"), 500)
    references = [
        str(data.get(name) or "")
        for name in ("customer_reference", "bank_reference", "extra_details", "id")
    ]
    skip = (
        Skip.REVERSAL
        if status.startswith("R")
        else Skip.DEBIT
        if amount < 0
        else Skip.NOTHING
        if amount == 0
        else ""
    )
    booked_on = datetime.date(day.year, day.month, day.day)
    currency = str(data.get("currency") or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise StatementError(_("Line %(line)d has no currency.") % {"line": number}, line=number)
    return StatementLine(
        line=number,
        entry=number,
        booked_on=booked_on,
        amount=amount.quantize(CENT),
        currency=currency,
        label=label,
        reference=single_line(data.get("customer_reference"), 140)
        if data.get("customer_reference") not in (None, "NONREF")
        else "",
        debtor_name="",
        debtor_iban="",
        bank_reference=single_line(data.get("bank_reference"), 200),
        skip=skip,
        identity=(
            "mt940",
            account,
            booked_on.isoformat(),
            status,
            str(amount),
            currency,
            *references,
            label,
        ),
    )
