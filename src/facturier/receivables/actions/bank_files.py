"""Bank statements: import a file (nothing half-imported, no line twice), propose which
open invoice each credit pays, and turn the confirmed lines into payments."""

import datetime
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
from facturier.firms.models import Firm, User
from facturier.invoicing.models import Invoice

from .. import bank_files
from ..events import AuditName
from ..matching import open_invoices, propose
from ..models import BankStatement, CsvMapping, Payment, StatementLine
from .bank_returns import returned_lines, returning, undo_returned_payment
from .common import require_right
from .debit_returns import return_debits_of
from .debit_settlement import settle_debits_of
from .payments import record_payment

NO_SUCH_STATEMENT = _("No such bank statement.")
NOT_MONEY_RECEIVED = _("Line %(line)d is not money received: it cannot be recorded as a payment.")
MAPPING_FIELDS = ("date", "amount", "label", "reference", "date_format", "decimal_comma")


def _keys(
    lines: list[bank_files.StatementLine],
) -> list[tuple[bank_files.StatementLine, str]]:
    """Two transactions alike in every way in one file are two: the second one's key
    says it is the second."""
    seen: Counter[str] = Counter()
    keyed = []
    for line in lines:
        key = line.key
        seen[key] += 1
        keyed.append((line, key if seen[key] == 1 else f"{key}#{seen[key]}"))
    return keyed


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
    """Read a bank file and keep every transaction of it: each credit with a proposed
    invoice, each other one (a debit, a return...) set aside with its reason, and each
    one an earlier file brought listed as the duplicate it is, so that the statement
    accounts for the whole file.

    All of it or nothing: a line that cannot be read refuses the file and names the
    line; a file with nothing new to match (every credit imported before) is refused.
    """
    require_right(by)
    if fmt not in ("auto", *BankStatement.Format.values):
        raise Invalid(
            {"format": [_("Choose camt.053, camt.052, camt.054, MT940 or CSV.")]},
            codes={"format": ["invalid"]},
        )
    firm = by.firm
    read_as, lines = _read(data, fmt=fmt, mapping=_mapping(firm.pk, mapping, by=by), firm=firm)
    keyed = _keys(lines)
    # One import at a time per firm: two files sharing a transaction, imported at the
    # same moment, each see the other's lines (and none is refused by the unique key).
    Firm.objects.select_for_update().filter(pk=firm.pk).first()
    fresh, duplicates = _sort_out(firm.pk, keyed)
    _refuse_nothing_new(lines, fresh, duplicates)
    at = clock.now(now)
    statement = BankStatement.objects.create(
        firm_id=firm.pk,
        filename="".join(ch for ch in str(filename or "") if not _has_control(ch))[:200],
        format=read_as,
        imported_by=by,
        imported_at=at,
        transactions=len(lines),
        entries=len({line.entry or line.line for line in lines}),
        duplicates=duplicates,
    )
    _keep_lines(statement, fresh)
    settle_debits_of(statement.lines.all(), by=by, at=at)
    return_debits_of(statement.lines.filter(skip=bank_files.Skip.RETURN), by=by, at=at)
    audit.record(
        AuditName.BANK_STATEMENT_IMPORTED,
        statement,
        by=by,
        firm_id=firm.pk,
        at=at,
        details={
            "transactions": len(lines),
            "lines": sum(1 for line, _key in fresh if not line.skip),
            "set_aside": sum(1 for line, _key in fresh if line.skip),
            "already_imported": len(duplicates),
        },
    )
    return statement


def _sort_out(firm_id: int, keyed: list[tuple]) -> tuple[list[tuple], list[dict]]:
    """The transactions no file brought before, and those one did, each told with the
    statement and line that brought it."""
    earlier = {
        row["key"]: row
        for row in StatementLine.objects.filter(
            firm_id=firm_id, key__in=[key for _line, key in keyed]
        ).values("key", "line", "statement_id", "statement__filename", "amount", "booked_on")
    }
    former = _former_lines(firm_id, [line for line, key in keyed if key not in earlier])
    fresh, duplicates = [], []
    for line, key in keyed:
        row = earlier.get(key) or _claim(former, line)
        if row is None:
            fresh.append((line, key))
            continue
        duplicates.append(
            {
                "line": line.line,
                "entry": line.entry,
                "amount": str(line.amount),
                "currency": line.currency,
                "statement": row["statement_id"],
                "statement_line": row["line"],
                "filename": row["statement__filename"],
            }
        )
    return fresh, duplicates


def _former_lines(firm_id: int, lines: list) -> dict[str, list[dict]]:
    """Lines kept under the keys earlier versions gave (the bank's entry reference,
    which banks reuse), by key: one counts as the same transaction only with the same
    day and amount."""
    keys = {key for line in lines if not line.skip for key in line.former_keys}
    found: dict[str, list[dict]] = defaultdict(list)
    for row in StatementLine.objects.filter(firm_id=firm_id, key__in=list(keys)).values(
        "key", "line", "statement_id", "statement__filename", "amount", "booked_on"
    ):
        found[row["key"]].append(row)
    return found


def _claim(former: dict[str, list[dict]], line) -> dict | None:
    """The earlier line kept under a former key of this one, taken once."""
    for key in [] if line.skip else line.former_keys:
        rows = former.get(key, [])
        for row in rows:
            if (row["amount"], row["booked_on"]) == (line.amount, line.booked_on):
                rows.remove(row)
                return row
    return None


def _refuse_nothing_new(lines: list, fresh: list[tuple], duplicates: list[dict]) -> None:
    """A file with nothing new but money paid out (or nothing) is refused, saying why;
    one with a new credit, even one set aside (a return, a reversal, one not booked
    yet), is kept to tell it."""
    paid_out = (bank_files.Skip.DEBIT, bank_files.Skip.NOTHING)
    if any(line.skip not in paid_out for line, _key in fresh):
        return
    if duplicates:
        counts = {"duplicates": len(duplicates), "count": len(lines)}
        message = (
            _(
                "This statement was imported already: none of its lines is new "
                "(%(duplicates)d of its %(count)d transactions imported before, "
                "the others money paid out)."
            )
            if len(duplicates) < len(lines)
            else _(
                "This statement was imported already: none of its lines is new "
                "(its %(count)d transactions were imported before)."
            )
        )
        earlier = sorted({d["filename"] or f"#{d['statement']}" for d in duplicates})
        where = _("Imported with: %(statements)s.") % {"statements": ", ".join(earlier[:5])}
        raise Invalid(
            {"file": [f"{message % counts} {where}"]}, codes={"file": ["already_imported"]}
        )
    message = str(_("The file holds no money received (no credit lines)."))
    if lines:
        told = _("Its %(count)d transactions are money paid out.") % {"count": len(lines)}
        message = f"{message} {told}"
    raise Invalid({"file": [message]}, codes={"file": ["no_credit"]})


def _has_control(text: str) -> bool:
    """A line break, a NUL (which PostgreSQL cannot store) or another control character."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _check_date_format(value: str) -> None:
    """A format that cannot read a date is refused before it is saved for the firm."""
    try:
        bank_files.check_date_format(value)
    except bank_files.StatementError as exc:
        raise Invalid({exc.field: [exc.message]}, codes={exc.field: [exc.code]}) from None


def _read(data: bytes, *, fmt: str, mapping, firm) -> tuple[str, list]:
    """The file's format as read and its transactions."""
    try:
        return bank_files.parse(
            data, fmt=fmt, mapping=mapping, currency=firm.default_currency or "EUR"
        )
    except bank_files.StatementError as exc:
        raise Invalid({exc.field: [exc.message]}, codes={exc.field: [exc.code]}) from None


def _keep_lines(statement: BankStatement, fresh: list[tuple]) -> None:
    """The new transactions: each credit with the invoice proposed for it, each other
    one set aside with its reason."""
    credits = [line for line, _key in fresh if not line.skip]
    proposals = iter(propose(statement.firm_id, credits))
    returned = returned_lines(statement.firm_id, fresh)
    rows = []
    for line, key in fresh:
        invoice, match = next(proposals) if not line.skip else (None, "")
        earlier = returning(line, returned)
        rows.append(
            StatementLine(
                firm_id=statement.firm_id,
                statement=statement,
                line=line.line,
                entry=line.entry,
                booked_on=line.booked_on,
                amount=line.amount,
                currency=line.currency,
                instructed_amount=line.instructed_amount,
                instructed_currency=line.instructed_currency,
                label=line.label,
                reference=line.reference,
                debtor_name=line.debtor_name,
                debtor_iban=line.debtor_iban,
                bank_reference=line.bank_reference,
                skip=line.skip,
                skip_detail=line.skip_detail,
                state=StatementLine.State.SKIPPED
                if line.skip and earlier is None
                else StatementLine.State.PROPOSED,
                key=key,
                invoice=earlier.invoice if earlier else invoice,
                match=match,
                returns=earlier,
            )
        )
    StatementLine.objects.bulk_create(rows)


@action
def confirm_statement_lines(
    statement: BankStatement | int,
    *,
    by: User,
    decisions: Sequence[Mapping[str, Any]],
    now: datetime.datetime | None = None,
) -> list[StatementLine]:
    """Turn lines into payments, or set them aside: [{"line": id, "invoice": id}] or
    [{"line": id, "ignore": true}]; for a return of money recorded from an earlier
    line, [{"line": id, "undo": true}] cancels that payment, which reopens what it
    paid. All of them, or none if one is refused."""
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
        elif item.get("undo"):
            undo_returned_payment(line, by=by, at=at)
        elif line.skip:
            raise Invalid(
                {f"lines.{line.line}": [NOT_MONEY_RECEIVED % {"line": line.line}]},
                codes={f"lines.{line.line}": ["not_money_received"]},
            )
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
        open_invoices(by.firm_id).filter(pk=invoice_id).first() if invoice_id is not None else None
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
