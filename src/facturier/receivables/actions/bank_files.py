"""Bank statements: import a file (nothing half-imported, no line twice), propose which
open invoice each credit pays, and turn the confirmed lines into payments."""

import datetime
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import Invalid, InvalidTransition, NotFound
from facturier.firms import audit
from facturier.firms.models import User
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice

from .. import bank_files
from ..events import AuditName
from ..models import BankStatement, CsvMapping, Payment, StatementLine
from .common import require_right
from .payments import record_payment

NO_SUCH_STATEMENT = _("No such bank statement.")
MAPPING_FIELDS = ("date", "amount", "label", "reference", "date_format", "decimal_comma")
# Invoice numbers in a transfer's text: runs of letters, digits and - _ / . holding a digit.
TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.]*")


def _keys(
    lines: list[bank_files.StatementLine],
) -> list[tuple[bank_files.StatementLine, str]]:
    """Two lines alike in one file (same day, amount and text, no bank reference) are two
    payments: the second one's key says it is the second."""
    seen: Counter[str] = Counter()
    keyed = []
    for line in lines:
        key = line.key
        seen[key] += 1
        if seen[key] > 1:
            if key.startswith("ref:"):
                continue  # the bank's reference is unique: a repeat is the same entry
            key = f"{key}#{seen[key]}"
        keyed.append((line, key))
    return keyed


def _open_invoices(firm_id: int):
    return Invoice.objects.filter(
        firm_id=firm_id,
        kind=DocumentKind.INVOICE,
        balance__gt=0,
        status__in=[InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED],
    )


def propose(firm_id: int, lines) -> list[tuple[Invoice | None, str]]:
    """For each line, the open invoice it most likely pays and why: an invoice number
    found in its text first, then the exact amount (and the payer's name, when several
    invoices owe that amount). An invoice is proposed once per statement."""
    texts = [f"{line.label} {line.reference}" for line in lines]
    used: set[int] = set()
    proposals: list[tuple[Invoice | None, str]] = [(None, "")] * len(lines)
    by_number = _owed_by_number(firm_id, texts)
    for index, (line, text) in enumerate(zip(lines, texts, strict=True)):
        for token in TOKENS.findall(text):
            invoice = by_number.get(token.strip("./-_"))
            if invoice is not None and invoice.currency == line.currency and invoice.pk not in used:
                proposals[index] = (invoice, StatementLine.Match.NUMBER)
                used.add(invoice.pk)
                break
    by_amount = _owed_by_amount(firm_id, {line.amount for line in lines})
    for index, line in enumerate(lines):
        if proposals[index][0] is not None:
            continue
        chosen = _by_amount_and_payer(line, by_amount, used)
        if chosen is not None:
            proposals[index] = (chosen, StatementLine.Match.AMOUNT)
            used.add(chosen.pk)
    return proposals


def _owed_by_number(firm_id: int, texts: list[str]) -> dict[str, Invoice]:
    """The open invoices whose number appears in the texts, by number."""
    tokens = {token.strip("./-_") for text in texts for token in TOKENS.findall(text)}
    tokens = {token for token in tokens if any(c.isdigit() for c in token)}
    return {
        invoice.number: invoice
        for invoice in _open_invoices(firm_id).filter(number__in=list(tokens)[:20000])
    }


def _owed_by_amount(firm_id: int, amounts: set) -> dict[tuple, list[Invoice]]:
    """The open invoices owing one of the amounts, by (balance, currency), oldest due
    first."""
    by_amount: dict[tuple, list[Invoice]] = defaultdict(list)
    for invoice in (
        _open_invoices(firm_id)
        .filter(balance__in=list(amounts))
        .select_related("client")
        .order_by("due_date", "pk")
    ):
        by_amount[(invoice.balance, invoice.currency)].append(invoice)
    return by_amount


def _by_amount_and_payer(line, by_amount: dict[tuple, list[Invoice]], used: set[int]):
    """The one invoice not yet proposed that owes the line's amount, or among several,
    the first whose client the payer's name or the text names."""
    candidates = [i for i in by_amount.get((line.amount, line.currency), []) if i.pk not in used]
    payer = f"{line.debtor_name} {line.label}".casefold()
    named = [i for i in candidates if i.client.name.casefold() in payer]
    return named[0] if named else candidates[0] if len(candidates) == 1 else None


def _mapping(firm_id: int, given: Mapping[str, Any] | None, *, by) -> dict[str, str]:
    saved = CsvMapping.objects.filter(firm_id=firm_id).first()
    if given is None:
        return (saved or CsvMapping()).as_mapping()
    unknown = set(given) - set(MAPPING_FIELDS)
    if unknown:
        raise Invalid(
            {name: [_("This field cannot be set.")] for name in sorted(unknown)},
            codes={name: ["read_only"] for name in sorted(unknown)},
        )
    mapping = saved or CsvMapping(firm_id=firm_id)
    before = audit.values(mapping, MAPPING_FIELDS)
    for name in MAPPING_FIELDS:
        if name in given:
            value = given[name]
            if name == "decimal_comma":
                value = value in (True, "1", "true", "on")
            elif not isinstance(value, str) or len(value) > 100 or _has_control(value):
                raise Invalid({name: [_("Enter a column name.")]}, codes={name: ["invalid"]})
            elif name == "date_format" and value.strip():
                _check_date_format(value.strip())
            setattr(mapping, name, value.strip() if isinstance(value, str) else value)
    changed = audit.changes(before, audit.values(mapping, MAPPING_FIELDS))
    if changed or mapping.pk is None:
        mapping.save()
        audit.record(
            AuditName.BANK_CSV_COLUMNS_SAVED, mapping, by=by, firm_id=firm_id, details=changed
        )
    return mapping.as_mapping()


@action
def import_bank_statement(
    *,
    by: User,
    data: bytes,
    filename: str = "",
    fmt: str = "auto",
    mapping: Mapping[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> BankStatement:
    """Read a statement file and keep its credit lines with a proposed invoice each.

    All of it or nothing: a line that cannot be read refuses the file and names the
    line. Lines imported before (same bank reference, or same date, amount and text)
    are left out; a file with nothing new is refused.
    """
    require_right(by)
    if fmt not in ("auto", *BankStatement.Format.values):
        raise Invalid({"format": [_("Choose camt.053 or CSV.")]}, codes={"format": ["invalid"]})
    firm = by.firm
    keyed = _read(data, fmt=fmt, mapping=_mapping(firm.pk, mapping, by=by), firm=firm)
    fresh = _not_imported(firm.pk, keyed)
    at = clock.now(now)
    statement = BankStatement.objects.create(
        firm_id=firm.pk,
        filename="".join(ch for ch in str(filename or "") if not _has_control(ch))[:200],
        format=bank_files.detect(data) if fmt == "auto" else fmt,
        imported_by=by,
        imported_at=at,
    )
    _keep_lines(statement, fresh)
    audit.record(
        AuditName.BANK_STATEMENT_IMPORTED,
        statement,
        by=by,
        firm_id=firm.pk,
        at=at,
        details={"lines": len(fresh), "already_imported": len(keyed) - len(fresh)},
    )
    return statement


def _has_control(text: str) -> bool:
    """A line break, a NUL (which PostgreSQL cannot store) or another control character."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _check_date_format(value: str) -> None:
    """A format that cannot read a date is refused before it is saved for the firm."""
    try:
        bank_files.check_date_format(value)
    except bank_files.StatementError as exc:
        raise Invalid({exc.field: [exc.message]}, codes={exc.field: [exc.code]}) from None


def _read(data: bytes, *, fmt: str, mapping, firm) -> list[tuple]:
    """The file's credit lines, each with the key that tells it apart."""
    try:
        parsed = bank_files.parse(
            data, fmt=fmt, mapping=mapping, currency=firm.default_currency or "EUR"
        )
    except bank_files.StatementError as exc:
        raise Invalid({exc.field: [exc.message]}, codes={exc.field: [exc.code]}) from None
    if not parsed:
        raise Invalid(
            {"file": [_("The file holds no money received (no credit lines).")]},
            codes={"file": ["no_credit"]},
        )
    return _keys(parsed)


def _not_imported(firm_id: int, keyed: list[tuple]) -> list[tuple]:
    """The lines no statement brought before; refused if there is none."""
    known = set(
        StatementLine.objects.filter(
            firm_id=firm_id, key__in=[key for _line, key in keyed]
        ).values_list("key", flat=True)
    )
    fresh = [(line, key) for line, key in keyed if key not in known]
    if not fresh:
        raise Invalid(
            {"file": [_("This statement was imported already: none of its lines is new.")]},
            codes={"file": ["already_imported"]},
        )
    return fresh


def _keep_lines(statement: BankStatement, fresh: list[tuple]) -> None:
    """The new lines, each with the invoice proposed for it."""
    proposals = propose(statement.firm_id, [line for line, _key in fresh])
    StatementLine.objects.bulk_create(
        StatementLine(
            firm_id=statement.firm_id,
            statement=statement,
            line=line.line,
            booked_on=line.booked_on,
            amount=line.amount,
            currency=line.currency,
            label=line.label,
            reference=line.reference,
            debtor_name=line.debtor_name,
            debtor_iban=line.debtor_iban,
            key=key,
            invoice=invoice,
            match=match,
        )
        for (line, key), (invoice, match) in zip(fresh, proposals, strict=True)
    )


@action
def confirm_statement_lines(
    statement: BankStatement | int,
    *,
    by: User,
    decisions: Sequence[Mapping[str, Any]],
    now: datetime.datetime | None = None,
) -> list[StatementLine]:
    """Turn lines into payments, or set them aside: [{"line": id, "invoice": id}] or
    [{"line": id, "ignore": true}]. All of them, or none if one is refused."""
    require_right(by)
    pk = getattr(statement, "pk", statement)
    statement = BankStatement.objects.filter(pk=pk, firm_id=by.firm_id).first()
    if statement is None:
        raise NotFound(NO_SUCH_STATEMENT)
    wanted = _by_line(decisions)
    lines = {
        line.pk: line
        for line in StatementLine.objects.select_for_update()
        .filter(statement=statement, pk__in=list(wanted))
        .order_by("line")
    }
    if set(lines) != set(wanted):
        raise NotFound(_("No such statement line."))
    at = clock.now(now)
    done = []
    for line in sorted(lines.values(), key=lambda x: x.line):
        item = wanted[line.pk]
        if line.state != StatementLine.State.PROPOSED:
            raise InvalidTransition(
                _("Line %(line)d was dealt with already.") % {"line": line.line}
            )
        if item.get("ignore"):
            line.state = StatementLine.State.IGNORED
            line.save(update_fields=["state"])
        else:
            _confirm(line, _owed_invoice(by, line, item.get("invoice")), by=by, at=at)
        done.append(line)
    return done


def _by_line(decisions: Sequence[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """Each decision under the id of the line it names."""
    wanted = {}
    for item in decisions:
        line_id = item.get("line") if isinstance(item, Mapping) else None
        if not isinstance(line_id, int) or isinstance(line_id, bool):
            raise Invalid({"decisions": [_("Each decision names a line.")]})
        wanted[line_id] = item
    return wanted


def _owed_invoice(by, line: StatementLine, value) -> Invoice:
    """The invoice chosen for the line, if it is still owed."""
    invoice_id = row_id(value)
    invoice = (
        _open_invoices(by.firm_id).filter(pk=invoice_id).first() if invoice_id is not None else None
    )
    if invoice is None:
        raise Invalid(
            {
                f"lines.{line.line}": [
                    _("Line %(line)d: choose an invoice that is still owed.") % {"line": line.line}
                ]
            },
            codes={f"lines.{line.line}": ["invoice"]},
        )
    return invoice


def _confirm(line: StatementLine, invoice: Invoice, *, by, at) -> None:
    """The line's money recorded as a transfer paying the invoice; a refusal names the
    line."""
    try:
        payment = record_payment(
            by=by,
            client=invoice.client_id,
            amount=line.amount,
            currency=line.currency,
            received_on=line.booked_on,
            method=Payment.Method.TRANSFER,
            reference=(line.reference or line.label)[:140],
            allocations=[{"invoice": invoice.pk}],
            now=at,
        )
    except Invalid as exc:
        raise Invalid(
            {
                f"lines.{line.line}": [
                    _("Line %(line)d: %(problem)s") % {"line": line.line, "problem": message}
                    for messages in exc.errors.values()
                    for message in messages
                ]
            },
            codes={f"lines.{line.line}": [c for cs in exc.codes.values() for c in cs]},
        ) from None
    line.invoice, line.payment = invoice, payment
    line.state = StatementLine.State.CONFIRMED
    line.save(update_fields=["invoice", "payment", "state"])
