"""Every change of an invoice's state: one function each.

Each action reads the invoice under a lock, asks permissions.refusal() whether
the user may (rights and status, declared once there), makes the change and
writes its event on the audit trail, in one transaction. Views, the API, the admin, commands
and tests all come through here.
"""

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client
from facturier.clients.permissions import visible_client
from facturier.core import clock
from facturier.core.actions import action
from facturier.core.compiled_sql import insert, update_and_insert
from facturier.core.converters import row_id
from facturier.core.errors import DomainError, Invalid
from facturier.firms.models import AuditEvent, User

from .. import documents, events, numbering, permissions
from ..crediting import check_within
from ..lifecycle import Action, InvoiceStatus
from ..models import MENTION_FIELDS, NUMBER_CONSTRAINT, Invoice, InvoiceLine, InvoiceTemplate
from ..payment_reference import payment_reference
from ..selectors import default_template, lines_of
from ..snapshots import build_snapshot
from .audit import invoice_event, lock_invoice, record_event, require
from .balances import apply_on_finalize, lock_corrected
from .deductions import deducted_on_finalize
from .entries import bill_entries, release_entries
from .status import change_status


class NumberTaken(DomainError):
    code = "number_taken"
    status = 409
    default_message = _(
        "Number %(number)s is already used: give the credit notes' numbering another prefix "
        "in Settings."
    )


LINE_FIELDS = ("description", "quantity", "unit_price", "vat_rate", "discount_percent")
DRAFT_FIELDS = (
    "client",
    "issue_date",
    "payment_terms_days",
    "currency",
    "notes",
    "template",
    *MENTION_FIELDS,
)


# What full_clean leaves to the draft's actions: the relations, each checked by them.
DRAFT_UNCHECKED = ("firm", "client", "template", "created_by", "corrects")
LINE_UNCHECKED = ("invoice",)


def _as_decimal(value, field: str, errors: dict, index: int) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        errors.setdefault(f"lines.{index}.{field}", []).append(_("Enter a number."))
        return None


def _build_lines(invoice: Invoice, lines: Sequence[Mapping[str, Any]]) -> list[InvoiceLine]:
    errors: dict[str, list] = {}
    codes: dict[str, list[str]] = {}
    built = []
    for index, data in enumerate(lines):
        unknown = set(data) - set(LINE_FIELDS)
        if unknown:
            errors[f"lines.{index}"] = [_("Unknown fields: %s") % ", ".join(sorted(unknown))]
            continue
        values = {
            name: _as_decimal(data.get(name), name, errors, index)
            for name in ("quantity", "unit_price", "vat_rate", "discount_percent")
        }
        line = InvoiceLine(
            invoice=invoice,
            position=index,
            description=str(data.get("description") or "").strip(),
            quantity=values["quantity"] if values["quantity"] is not None else Decimal(1),
            unit_price=values["unit_price"],
            vat_rate=values["vat_rate"]
            if values["vat_rate"] is not None
            else invoice.firm.default_vat_rate,
            discount_percent=values["discount_percent"] or Decimal(0),
        )
        try:
            # A new line's one unique field is its key, not given yet.
            line.full_clean(exclude=LINE_UNCHECKED, validate_unique=False)
        except ValidationError as exc:
            found = Invalid.from_django(exc, prefix=f"lines.{index}.")
            for field, messages in found.errors.items():
                errors.setdefault(field, []).extend(messages)
                codes.setdefault(field, []).extend(found.codes[field])
        built.append(line)
    if errors:
        raise Invalid(errors, codes=codes)
    return built


def _apply_draft_fields(
    invoice: Invoice, fields: Mapping[str, Any], *, by, clients: Mapping[int, Client] | None = None
) -> None:
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise Invalid({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    if invoice.is_credit_note:
        fields = _credit_note_fields(invoice, fields)
    client = _draft_client(invoice, fields, by=by, clients=clients)
    invoice.client = client
    invoice.firm_id = client.firm_id
    invoice.template = _draft_template(invoice, fields, firm_id=client.firm_id)
    for name in ("issue_date", "payment_terms_days", "currency", "notes"):
        if name in fields and fields[name] is not None:
            setattr(invoice, name, fields[name])
    for name in MENTION_FIELDS:
        if name in fields:
            setattr(invoice, name, _mention_value(name, fields[name]))
    _client_defaults(invoice, client, fields=fields)


def _draft_client(
    invoice: Invoice, fields: Mapping[str, Any], *, by, clients: Mapping[int, Client] | None
) -> Client:
    """The client asked for (else the draft's own), if the user may bill it. `clients`:
    the clients the user sees, by id, when the caller read them for many drafts."""
    client = fields.get("client", invoice.client if invoice.client_id else None)
    if client is None:
        raise Invalid({"client": [_("Choose a client.")]})
    client_id = row_id(client.pk if isinstance(client, Client) else client)
    # Looked up among the clients the user can see: a refusal never names another.
    client = visible_client(by, client_id) if clients is None else clients.get(client_id)
    if client is None:
        raise Invalid({"client": [_("No such client.")]}, codes={"client": ["does_not_exist"]})
    require(permissions.create_refusal(by, client.pk))
    return client


def _draft_template(
    invoice: Invoice, fields: Mapping[str, Any], *, firm_id: int
) -> InvoiceTemplate | None:
    """The template asked for (else the draft's own), if the firm may use it."""
    template = fields.get("template", invoice.template if invoice.template_id else None)
    if template is not None and not isinstance(template, InvoiceTemplate):
        template = InvoiceTemplate.objects.filter(pk=row_id(template), firm_id=firm_id).first()
        if template is None:
            raise Invalid(
                {"template": [_("No such invoice template.")]},
                codes={"template": ["does_not_exist"]},
            )
    if template is not None and (template.firm_id != firm_id or template.archived_at):
        raise Invalid({"template": [_("This invoice template cannot be used.")]})
    return template


def _client_defaults(invoice: Invoice, client: Client, *, fields: Mapping[str, Any]) -> None:
    """What the draft takes from its client when not given: currency, payment terms; and
    the issue date (today) and the due date that follows."""
    if not fields.get("currency") and (invoice.pk is None or "client" in fields):
        invoice.currency = client.currency
    if invoice.payment_terms_days is None:
        invoice.payment_terms_days = (
            client.payment_terms_days
            if client.payment_terms_days is not None
            else client.firm.default_payment_terms_days
        )
    invoice.currency = (invoice.currency or "").upper()
    if invoice.issue_date is None:
        invoice.issue_date = timezone.localdate()
    invoice.due_date = _due(invoice.issue_date, invoice.payment_terms_days)


NULLABLE_MENTIONS = frozenset({"supply_date", "period_start", "period_end", "exchange_rate"})


def _mention_value(name: str, value):
    """An empty value clears an optional field (to None for dates and the rate, to its
    default for the others); the rest is checked by full_clean()."""
    if value not in (None, ""):
        return value
    if name in NULLABLE_MENTIONS:
        return None
    return {"discount_percent": Decimal(0), "operation": "services"}.get(name, "")


def _credit_note_fields(invoice: Invoice, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A credit note's client and currency are those of the invoice it corrects: sent as
    they are (an editor posts every field), they are ignored; changed, refused."""
    fields = dict(fields)
    client = fields.pop("client", invoice.client_id)
    currency = fields.pop("currency", invoice.currency)
    client_id = client.pk if isinstance(client, Client) else row_id(client)
    if client_id != invoice.client_id or str(currency or "").upper() != invoice.currency:
        raise Invalid(
            {"client": [_("A credit note keeps the client and currency of its invoice.")]},
            codes={"client": ["fixed_by_invoice"]},
        )
    return fields


def _checked(invoice: Invoice, lines: Sequence[Mapping[str, Any]] | None) -> list | None:
    """The draft's lines built and its totals computed, the whole checked (nothing
    written); None: the lines already saved are kept."""
    built = _build_lines(invoice, lines) if lines is not None else None
    if built is None and invoice.pk is None:
        built = []
    totals = invoice.compute_totals(built)  # None: the lines already saved
    invoice.total_net, invoice.total_vat, invoice.total_gross = (
        totals.net,
        totals.vat,
        totals.gross,
    )
    try:
        # A new draft's constraints (no number, no balance yet, not a credit note unless
        # it corrects one) hold by construction: checking them costs a query each, and
        # the database still enforces them. Its one unique field is its key, not given
        # yet (tests/invoicing/test_actions.py checks that it stays the only one).
        invoice.full_clean(
            exclude=DRAFT_UNCHECKED,
            validate_unique=invoice.pk is not None,
            validate_constraints=invoice.pk is not None,
        )
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    if invoice.is_credit_note:
        check_within(invoice, invoice.corrects)
    return built


def _save_draft(invoice: Invoice, lines: Sequence[Mapping[str, Any]] | None) -> None:
    new = invoice.pk is None
    built = _checked(invoice, lines)
    if new:
        _insert_drafts([(invoice, built)])
        return
    invoice.save()
    if built is not None:
        invoice.lines.all().delete()
        for line in built:
            line.invoice = invoice
        insert(built)  # as bulk_create writes them, without building the INSERT each time


def _insert_drafts(drafts: Sequence[tuple[Invoice, list[InvoiceLine]]]) -> None:
    """What save() writes of new drafts (nothing frozen to check yet) and their lines:
    one INSERT per table for them all, built once (the billing run makes thousands)."""
    insert([invoice for invoice, _ in drafts])
    for invoice, built in drafts:
        invoice._loaded = invoice._values_read()
        for line in built:
            line.invoice = invoice
    insert([line for _, built in drafts for line in built])


@dataclass(frozen=True)
class PreparedDraft:
    """A new draft and its lines, checked as create_draft checks them, not written yet:
    create_drafts writes many at once."""

    invoice: Invoice
    lines: list[InvoiceLine]


def prepare_draft(
    *,
    by: User,
    client: Client | int,
    lines: Sequence[Mapping[str, Any]] = (),
    clients: Mapping[int, Client] | None = None,
    **fields: Any,
) -> PreparedDraft:
    """A draft for a client the user owns, checked, not written (create_drafts writes
    it). `clients`: the clients `by` sees, by id, read once for many drafts
    (those of clients.permissions.visible_client_ids); else this one is read."""
    invoice = Invoice(created_by=by, payment_terms_days=None, currency="")
    _apply_draft_fields(invoice, {"client": client, **fields}, by=by, clients=clients)
    return PreparedDraft(invoice, _checked(invoice, lines))


@action
def create_drafts(
    *, by: User, drafts: Sequence[PreparedDraft], now: datetime.datetime | None = None
) -> list[Invoice]:
    """Write drafts prepare_draft checked for `by`, each with its creation on its
    history: one INSERT per table for them all (the billing run's batches)."""
    if any(draft.invoice.created_by_id != by.pk for draft in drafts):
        raise ValueError("drafts are written by the user they were prepared for")
    _insert_drafts([(draft.invoice, draft.lines) for draft in drafts])
    at = clock.now(now)
    insert(
        [
            invoice_event(draft.invoice, Action.CREATE, by=by, to_status=InvoiceStatus.DRAFT, at=at)
            for draft in drafts
        ]
    )
    return [draft.invoice for draft in drafts]


@action
def create_draft(
    *,
    by: User,
    client: Client | int,
    lines: Sequence[Mapping[str, Any]] = (),
    now: datetime.datetime | None = None,
    **fields: Any,
) -> Invoice:
    """A new draft for a client the user owns, with its lines."""
    prepared = prepare_draft(by=by, client=client, lines=lines, **fields)
    [invoice] = create_drafts(by=by, drafts=[prepared], now=now)
    return invoice


@action
def update_draft(
    invoice: Invoice | int,
    *,
    by: User,
    lines: Sequence[Mapping[str, Any]] | None = None,
    now: datetime.datetime | None = None,
    **fields: Any,
) -> Invoice:
    """Change a draft's fields and, when given, replace its lines.

    Saving a draft as it already is changes nothing and records nothing.
    """
    invoice = lock_invoice(invoice, by=by)
    require(permissions.refusal("edit", by, invoice))
    before = _content(invoice)
    client_before = invoice.client_id
    _apply_draft_fields(invoice, fields, by=by)
    if invoice.client_id != client_before:
        # The deposits it deducted are the former client's: they are freed.
        Invoice.objects.filter(deducted_by=invoice, deposit=True).update(deducted_by=None)
    if lines is not None:
        built = _build_lines(invoice, lines)
        if _line_values(built) == before[1] and _draft_values(invoice) == before[0]:
            return invoice
    elif _draft_values(invoice) == before[0]:
        return invoice
    _save_draft(invoice, lines)
    after = _content(invoice)
    changed = sorted(
        {name for name in before[0] if before[0][name] != after[0][name]}
        | ({"lines"} if before[1] != after[1] else set())
    )
    record_event(
        invoice,
        Action.UPDATE,
        by=by,
        from_status=InvoiceStatus.DRAFT,
        to_status=InvoiceStatus.DRAFT,
        at=clock.now(now),
        details={"fields": changed},
    )
    return invoice


def _draft_values(invoice: Invoice) -> dict[str, Any]:
    return {
        "client": invoice.client_id,
        "issue_date": invoice.issue_date,
        "payment_terms_days": invoice.payment_terms_days,
        "currency": invoice.currency,
        "notes": invoice.notes,
        "template": invoice.template_id,
        **{name: getattr(invoice, name) for name in MENTION_FIELDS},
    }


def _line_values(lines) -> list[tuple]:
    return [
        (
            line.description,
            Decimal(line.quantity),
            Decimal(line.unit_price),
            Decimal(line.vat_rate),
            Decimal(line.discount_percent or 0),
        )
        for line in lines
    ]


def _content(invoice: Invoice) -> tuple[dict[str, Any], list[tuple]]:
    return _draft_values(invoice), _line_values(invoice.lines.all())


@action
def delete_draft(invoice: Invoice | int, *, by: User, now: datetime.datetime | None = None) -> None:
    """Delete a draft. It never had a number, so no number is lost."""
    invoice = lock_invoice(invoice, by=by)
    require(permissions.refusal("delete", by, invoice))
    record_event(
        invoice,
        Action.DELETE,
        by=by,
        from_status=InvoiceStatus.DRAFT,
        at=clock.now(now),
        details={"client": invoice.client.name, "total": str(invoice.total_gross)},
    )
    release_entries(invoice)  # a draft from WIP gives its entries back
    invoice.delete()


@action
def delete_drafts(
    invoices: Iterable[Invoice | int], *, by: User, now: datetime.datetime | None = None
) -> int:
    """Delete several drafts: all of them, or none if one is refused."""
    count = 0
    for invoice in invoices:
        delete_draft(invoice, by=by, now=now)
        count += 1
    return count


def _check_finalizable(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    errors: dict[str, list] = {}
    if not lines:
        errors["lines"] = [_("Add at least one line before finalizing.")]
    if invoice.total_gross < 0:
        errors["lines"] = [_("The total is negative: issue a credit note instead.")]
    client = invoice.client
    if not (client.address_line1 and client.postal_code and client.city):
        errors["client"] = [
            _("The client %(client)s has no complete billing address.") % {"client": client.name}
        ]
    if errors:
        raise Invalid(errors, _("This invoice cannot be finalized yet."))


EINVOICE_NEEDS = {
    "country": _("The firm's and the client's countries are needed for an e-invoice."),
    "seller_vat_number": _("The firm's VAT number is needed for an e-invoice (EN 16931)."),
    "buyer_vat_number": _(
        "A reverse-charge or intra-EU e-invoice needs the client's VAT number (or, outside "
        "the EU, its company id)."
    ),
    "seller_id": _("The firm's SIREN is needed for an e-invoice."),
    "buyer_address": _(
        "The client has no e-invoicing address: give its SIREN, its VAT number, its "
        "e-invoicing address or a billing contact's e-mail."
    ),
    "exchange_rate": _(
        "An invoice in another currency than EUR needs its exchange rate to EUR: its VAT "
        "is also stated in euros."
    ),
    "vat_rate": _(
        "A VAT rate that does not exist in France: use 20, 10, 5.5, 2.1 or 0, or an overseas rate."
    ),
}


def _check_einvoice(snapshot) -> None:
    """Say what EN 16931 needs before the number is taken, not produce an invalid file."""
    if not snapshot.get("einvoice"):
        return
    missing = documents.missing_for_en16931(snapshot)
    if missing:
        raise Invalid(
            {"einvoice": [EINVOICE_NEEDS[m] for m in missing]},
            _("This invoice cannot be finalized yet."),
            codes={"einvoice": missing},
        )


UNPRINTABLE = re.compile(r'text `"(.+?)"`')


def _check_printable(snapshot) -> None:
    """A number names an invoice someone must be able to print: prove the PDF can be
    made (every character has a glyph in the shipped fonts) before taking one."""
    try:
        documents.check_printable(snapshot)
    except documents.RenderFailed as exc:
        found = UNPRINTABLE.search(str(exc))
        raise Invalid(
            {
                "print": [
                    _("These characters cannot be printed in the PDF: %(text)s. Change them.")
                    % {"text": found.group(1) if found else "?"}
                ]
            },
            _("This invoice cannot be finalized yet."),
            codes={"print": ["unprintable"]},
        ) from None


def _finalizing_template(invoice: Invoice, template: InvoiceTemplate | int | None):
    if template is None:
        return invoice.template or default_template(invoice.firm_id)
    if not isinstance(template, InvoiceTemplate):
        template = InvoiceTemplate.objects.filter(
            pk=row_id(template), firm_id=invoice.firm_id
        ).first()
    if template is None or template.firm_id != invoice.firm_id or template.archived_at:
        raise Invalid({"template": [_("This invoice template cannot be used.")]})
    return template


@action
def finalize_invoice(
    invoice: Invoice | int,
    *,
    by: User,
    template: InvoiceTemplate | int | None = None,
    now: datetime.datetime | None = None,
) -> Invoice:
    """Give the draft its number, freeze its content and make it Finalized.

    The number is taken first and the clock read after it, under the sequence's
    lock: a later number never carries an earlier finalization time or issue
    date (dates follow numbers, as the law asks).
    """
    invoice = lock_invoice(invoice, by=by)
    require(permissions.refusal("finalize", by, invoice))
    lines = lines_of(invoice)
    _check_finalizable(invoice, lines)
    template = _finalizing_template(invoice, template)
    invoice.template = template
    corrected = lock_corrected(invoice) if invoice.is_credit_note else None
    deposits = [] if invoice.is_credit_note else deducted_on_finalize(invoice)
    invoice.prepaid = sum((deposit.total_gross for deposit in deposits), Decimal(0))
    snapshot = build_snapshot(invoice, template, lines=lines, deposits=deposits)
    _check_einvoice(snapshot)
    _check_printable(snapshot)
    # What needs no number is written before it is taken: the sequence's row, locked
    # from the number's reservation to the commit, is held for the invoice's own writes.
    bill_entries(invoice)
    # The PDF is rendered by a worker, never under the numbering lock nor in the user's
    # request; a view before that renders (and stores) it. The task is a row written in
    # this transaction: the worker sees it once the invoice is committed, and it is
    # gone with the invoice if the finalization is taken back (one commit, not two).
    _enqueue_pdf(invoice.pk)
    events.invoice_finalized(invoice=invoice, by=by)
    at = _number(invoice, snapshot, now=now)
    # What the client owes: an invoice's total less the deposits it deducts; a credit
    # note owes nothing, it credits.
    invoice.balance = None if invoice.is_credit_note else invoice.amount_due
    invoice.status = InvoiceStatus.FINALIZED
    invoice.finalized_at, invoice.finalized_by = at, by
    if corrected is not None:
        apply_on_finalize(invoice, corrected, by=by, at=at)
    event = invoice_event(
        invoice,
        Action.FINALIZE,
        by=by,
        from_status=InvoiceStatus.DRAFT,
        to_status=InvoiceStatus.FINALIZED,
        at=at,
        details={"number": invoice.number, "template": template.name if template else None},
    )
    _save_numbered(invoice, event)
    return invoice


def _number(invoice: Invoice, snapshot: dict, *, now) -> datetime.datetime:
    """Take the next number of the invoice's series, then read the clock: the invoice and
    its frozen content get the number and the dates. Returns the finalization time."""
    series = numbering.series_for(invoice.firm, invoice.kind)
    number, sequence = numbering.reserve_next_number(invoice.firm, series)
    at = clock.now(now)
    invoice.issue_date = timezone.localdate(at)
    invoice.due_date = _due(invoice.issue_date, invoice.payment_terms_days)
    invoice.number = sequence.format(number, year=invoice.issue_date.year)
    # A transfer pays an invoice; a credit note is not paid, it credits.
    if not invoice.is_credit_note:
        invoice.payment_reference = payment_reference(invoice.number)
    snapshot.update(
        number=invoice.number,
        payment_reference=invoice.payment_reference,
        issue_date=invoice.issue_date.isoformat(),
        due_date=invoice.due_date.isoformat(),
    )
    invoice.snapshot = snapshot
    return at


def _save_numbered(invoice: Invoice, event: AuditEvent) -> None:
    """Save the newly numbered document and its audit event; a number another series
    already gave (two series whose prefixes make the same text) is refused, and the
    transaction takes it back.

    Both rows go in one round trip on PostgreSQL (core.compiled_sql.update_and_insert),
    and no savepoint: the sequence's
    row is locked from the number's reservation to the commit, and every other
    finalization is waiting for it. The refusal ends the action, whose transaction is
    rolled back with the number it reserved."""
    try:
        update_and_insert(invoice, invoice.changed_fields(), event)
    except IntegrityError as exc:
        if _number_clash(exc):
            raise NumberTaken(number=invoice.number) from None
        raise
    invoice._loaded = invoice._values_read()  # as save() leaves it: read as written


def _number_clash(exc: IntegrityError) -> bool:
    """Whether the error is the firm's numbers' uniqueness (the transaction is aborted on
    PostgreSQL: the database's own report says which constraint it was)."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # psycopg
        return diag.constraint_name == NUMBER_CONSTRAINT
    table = Invoice._meta.db_table
    return f"{table}.firm_id, {table}.number" in str(exc)  # SQLite names the columns


def _due(issue_date: datetime.date, days: int) -> datetime.date:
    try:
        return issue_date + datetime.timedelta(days=days)
    except OverflowError:
        raise Invalid(
            {"issue_date": [_("The due date would fall after the year 9999.")]},
            codes={"issue_date": ["out_of_range"]},
        ) from None


def _enqueue_pdf(invoice_id: int) -> None:
    from ..tasks import render_pdf

    render_pdf.enqueue(invoice_id)


def _close_or_reopen(ids: Iterable[Invoice | int], rule: str, *, by, now) -> list[Invoice]:
    done = []
    for item in ids:
        invoice = lock_invoice(item, by=by)
        require(permissions.refusal(rule, by, invoice))
        action_ = permissions.RULES[rule].action
        done.append(change_status(invoice, action_, by=by, at=clock.now(now)))
    return done


@action
def close_invoices(
    invoices: Iterable[Invoice | int], *, by: User, now: datetime.datetime | None = None
) -> list[Invoice]:
    """Close finalized invoices: all of them, or none if one is refused."""
    return _close_or_reopen(invoices, "close", by=by, now=now)


@action
def reopen_invoices(
    invoices: Iterable[Invoice | int], *, by: User, now: datetime.datetime | None = None
) -> list[Invoice]:
    """Revert closed invoices to Finalized: all of them, or none if one is refused."""
    return _close_or_reopen(invoices, "reopen", by=by, now=now)


def close_invoice(invoice: Invoice | int, *, by, now: datetime.datetime | None = None) -> Invoice:
    return close_invoices([invoice], by=by, now=now)[0]


def reopen_invoice(invoice: Invoice | int, *, by, now: datetime.datetime | None = None) -> Invoice:
    return reopen_invoices([invoice], by=by, now=now)[0]
