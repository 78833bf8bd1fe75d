"""Every change of an invoice's state: one function each.

Each action checks the rights (permissions.py), checks the transition applies
(lifecycle.py), makes the change and writes its InvoiceEvent, in one
transaction. Views, the API, commands and tests all come through here.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.clients.models import Client

from . import einvoice, lifecycle, numbering, permissions
from .errors import Invalid, InvalidTransition, NotAllowed, NotFound
from .lifecycle import Action, Status
from .models import Invoice, InvoiceEvent, InvoiceLine, InvoiceTemplate
from .snapshots import build_snapshot

LINE_FIELDS = ("description", "quantity", "unit_price", "vat_rate", "discount_percent")
DRAFT_FIELDS = ("client", "issue_date", "payment_terms_days", "currency", "notes", "template")


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _record(
    invoice: Invoice,
    action: Action,
    *,
    by,
    from_status: str = "",
    to_status: str = "",
    at: datetime.datetime,
    details: Mapping[str, Any] | None = None,
) -> InvoiceEvent:
    return InvoiceEvent.objects.create(
        firm_id=invoice.firm_id,
        invoice=invoice if invoice.pk else None,
        invoice_ref=invoice.number or f"#{invoice.pk}",
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=by,
        at=at,
        details=dict(details or {}),
    )


def _lock(invoice: Invoice | int, *, by) -> Invoice:
    """Re-read the invoice under a row lock; hide it if the user may not see it."""
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    try:
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("firm", "client")
            .get(pk=pk)
        )
    except Invoice.DoesNotExist:
        raise NotFound() from None
    if not permissions.can_view(by, locked):
        raise NotFound()
    return locked


def _require(allowed: bool, message) -> None:
    if not allowed:
        raise NotAllowed(message)


def _require_transition(invoice: Invoice, action: Action) -> None:
    if not lifecycle.applies(action, invoice.status):
        raise InvalidTransition(
            _("Invoice %(invoice)s is %(status)s: it cannot be %(action)s."),
            invoice=str(invoice),
            status=lifecycle.STATUS_PHRASE[invoice.status],
            action=action.label,
        )


def _as_decimal(value, field: str, errors: dict, index: int) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        errors.setdefault(f"lines.{index}.{field}", []).append(_("Enter a number."))
        return None


def _build_lines(invoice: Invoice, lines: Sequence[Mapping[str, Any]]) -> list[InvoiceLine]:
    errors: dict[str, list] = {}
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
            line.full_clean(exclude=["invoice"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"lines.{index}.{field}", []).extend(messages)
        built.append(line)
    if errors:
        raise Invalid(errors)
    return built


def _apply_draft_fields(invoice: Invoice, fields: Mapping[str, Any], *, by) -> None:
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise Invalid({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    client = fields.get("client", invoice.client if invoice.client_id else None)
    if client is None:
        raise Invalid({"client": [_("Choose a client.")]})
    if not isinstance(client, Client):
        client = Client.objects.filter(pk=client, firm_id=by.firm_id).first()
        if client is None:
            raise Invalid({"client": [_("No such client.")]})
    if not permissions.can_create(by, client):
        raise NotAllowed(
            _("Only an owner of %(client)s with the processing permission may do this."),
            client=client.name,
        )
    invoice.client = client
    invoice.firm_id = client.firm_id
    template = fields.get("template", invoice.template if invoice.template_id else None)
    if template is not None and not isinstance(template, InvoiceTemplate):
        template = InvoiceTemplate.objects.filter(pk=template, firm_id=client.firm_id).first()
        if template is None:
            raise Invalid({"template": [_("No such invoice template.")]})
    if template is not None and (template.firm_id != client.firm_id or template.archived_at):
        raise Invalid({"template": [_("This invoice template cannot be used.")]})
    invoice.template = template
    for name in ("issue_date", "payment_terms_days", "currency", "notes"):
        if name in fields and fields[name] is not None:
            setattr(invoice, name, fields[name])
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
    invoice.due_date = invoice.issue_date + datetime.timedelta(days=invoice.payment_terms_days)


def _save_draft(invoice: Invoice, lines: Sequence[Mapping[str, Any]] | None) -> None:
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
        invoice.full_clean(exclude=["firm", "client", "template", "created_by"])
    except ValidationError as exc:
        raise Invalid(exc.message_dict) from None
    invoice.save()
    if built is not None:
        invoice.lines.all().delete()
        for line in built:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(built)


@transaction.atomic
def create_draft(
    *,
    by,
    client: Client | int,
    lines: Sequence[Mapping[str, Any]] = (),
    now: datetime.datetime | None = None,
    **fields: Any,
) -> Invoice:
    """A new draft for a client the user owns, with its lines."""
    invoice = Invoice(created_by=by, payment_terms_days=None, currency="")
    _apply_draft_fields(invoice, {"client": client, **fields}, by=by)
    _save_draft(invoice, lines)
    _record(invoice, Action.CREATE, by=by, to_status=Status.DRAFT, at=_now(now))
    return invoice


@transaction.atomic
def update_draft(
    invoice: Invoice | int,
    *,
    by,
    lines: Sequence[Mapping[str, Any]] | None = None,
    now: datetime.datetime | None = None,
    **fields: Any,
) -> Invoice:
    """Change a draft's fields and, when given, replace its lines."""
    invoice = _lock(invoice, by=by)
    _require(
        permissions.can_edit(by, invoice),
        _("Only an owner of the client with the processing permission may edit this invoice."),
    )
    _require_transition(invoice, Action.UPDATE)
    _apply_draft_fields(invoice, fields, by=by)
    _save_draft(invoice, lines)
    changed = sorted(set(fields) | ({"lines"} if lines is not None else set()))
    _record(
        invoice,
        Action.UPDATE,
        by=by,
        from_status=Status.DRAFT,
        to_status=Status.DRAFT,
        at=_now(now),
        details={"fields": changed},
    )
    return invoice


@transaction.atomic
def delete_draft(invoice: Invoice | int, *, by, now: datetime.datetime | None = None) -> None:
    """Delete a draft. It never had a number, so no number is lost."""
    invoice = _lock(invoice, by=by)
    _require(
        permissions.can_delete(by, invoice),
        _("Only an owner of the client with the processing permission may delete this invoice."),
    )
    _require_transition(invoice, Action.DELETE)
    _record(
        invoice,
        Action.DELETE,
        by=by,
        from_status=Status.DRAFT,
        at=_now(now),
        details={"client": invoice.client.name, "total": str(invoice.total_gross)},
    )
    invoice.delete()


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
    "buyer_vat_number": _("A reverse-charge e-invoice needs the client's VAT number."),
    "seller_id": _("The firm's SIREN is needed for an e-invoice."),
}


def _check_einvoice(snapshot) -> None:
    """Say what EN 16931 needs before the number is taken, not produce an invalid file."""
    if not snapshot.get("einvoice"):
        return
    missing = einvoice.missing_for_en16931(snapshot)
    if missing:
        raise Invalid(
            {"einvoice": [EINVOICE_NEEDS[m] for m in missing]},
            _("This invoice cannot be finalized yet."),
        )


def _finalizing_template(invoice: Invoice, template: InvoiceTemplate | int | None):
    if template is None:
        template = (
            invoice.template
            or InvoiceTemplate.objects.filter(
                firm_id=invoice.firm_id, is_default=True, archived_at__isnull=True
            ).first()
        )
        return template
    if not isinstance(template, InvoiceTemplate):
        template = InvoiceTemplate.objects.filter(pk=template, firm_id=invoice.firm_id).first()
    if template is None or template.firm_id != invoice.firm_id or template.archived_at:
        raise Invalid({"template": [_("This invoice template cannot be used.")]})
    return template


@transaction.atomic
def finalize_invoice(
    invoice: Invoice | int,
    *,
    by,
    template: InvoiceTemplate | int | None = None,
    now: datetime.datetime | None = None,
) -> Invoice:
    """Give the draft its number, freeze its content and make it Finalized.

    The issue date becomes the day of finalization, so dates follow numbers.
    """
    at = _now(now)
    invoice = _lock(invoice, by=by)
    _require(
        permissions.can_finalize(by, invoice),
        _("Only an owner of the client with the processing permission may finalize it."),
    )
    _require_transition(invoice, Action.FINALIZE)
    lines = list(invoice.lines.all())
    _check_finalizable(invoice, lines)
    template = _finalizing_template(invoice, template)
    invoice.template = template
    invoice.issue_date = timezone.localdate(at)
    invoice.due_date = invoice.issue_date + datetime.timedelta(days=invoice.payment_terms_days)
    invoice.snapshot = build_snapshot(invoice, template, lines=lines)
    _check_einvoice(invoice.snapshot)
    # Last, so the sequence row stays locked only for the writes and the commit.
    invoice.number = numbering.take_next_number(invoice.firm, issue_date=invoice.issue_date)
    invoice.snapshot["number"] = invoice.number
    invoice.status = Status.FINALIZED
    invoice.finalized_at, invoice.finalized_by = at, by
    invoice.save()
    _record(
        invoice,
        Action.FINALIZE,
        by=by,
        from_status=Status.DRAFT,
        to_status=Status.FINALIZED,
        at=at,
        details={"number": invoice.number, "template": template.name if template else None},
    )
    # The PDF is rendered by a worker once this commits, never under the numbering
    # lock nor in the user's request; a view before that renders (and stores) it.
    transaction.on_commit(partial(_enqueue_pdf, invoice.pk))
    return invoice


def _enqueue_pdf(invoice_id: int) -> None:
    from .tasks import render_pdf

    render_pdf.enqueue(invoice_id)


def _set_status(invoice: Invoice, action: Action, *, by, at: datetime.datetime) -> Invoice:
    source, target = invoice.status, lifecycle.target(action)
    invoice.status = target
    if action == Action.CLOSE:
        invoice.closed_at, invoice.closed_by = at, by
    else:
        invoice.closed_at, invoice.closed_by = None, None
    invoice.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    _record(invoice, action, by=by, from_status=source, to_status=target, at=at)
    return invoice


def _close_or_reopen(ids: Iterable[Invoice | int], action: Action, *, by, now) -> list[Invoice]:
    at = _now(now)
    done = []
    for item in ids:
        invoice = _lock(item, by=by)
        _require(
            permissions.can_close(by, invoice),
            _("You need the processing permission to close or reopen invoices."),
        )
        _require_transition(invoice, action)
        done.append(_set_status(invoice, action, by=by, at=at))
    return done


@transaction.atomic
def close_invoices(
    invoices: Iterable[Invoice | int], *, by, now: datetime.datetime | None = None
) -> list[Invoice]:
    """Close finalized invoices: all of them, or none if one is refused."""
    return _close_or_reopen(invoices, Action.CLOSE, by=by, now=now)


@transaction.atomic
def reopen_invoices(
    invoices: Iterable[Invoice | int], *, by, now: datetime.datetime | None = None
) -> list[Invoice]:
    """Revert closed invoices to Finalized: all of them, or none if one is refused."""
    return _close_or_reopen(invoices, Action.REOPEN, by=by, now=now)


def close_invoice(invoice: Invoice | int, *, by, now: datetime.datetime | None = None) -> Invoice:
    return close_invoices([invoice], by=by, now=now)[0]


def reopen_invoice(invoice: Invoice | int, *, by, now: datetime.datetime | None = None) -> Invoice:
    return reopen_invoices([invoice], by=by, now=now)[0]
