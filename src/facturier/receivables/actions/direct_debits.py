"""SEPA direct debit: the creditor settings, mandates, debits scheduled on invoices and
the batch export. Mandates, debits and batches need the processing permission; the
settings, the settings right."""

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.clients.models import Client, Contact
from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import Invalid, InvalidTransition, NotFound
from facturier.core.formatting import for_reader
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice
from facturier.invoicing.permissions import visible_invoices

from .. import pain008
from ..direct_debits import Debit, DebitBatch, Mandate, SepaSettings
from ..events import AuditName
from .common import amount_in, require_right, visible_client
from .debit_notices import notice_recipient, queue_notice

SETTINGS_FIELDS = (
    "creditor_id",
    "iban",
    "bic",
    "prenotification_days",
    "scheme",
    "pain_version",
)
# Where the money goes and under which identifier: changed only after two factors.
SENSITIVE_SETTINGS_FIELDS = ("creditor_id", "iban", "bic", "scheme")
MANDATE_FIELDS = (
    "reference",
    "debtor_name",
    "iban",
    "bic",
    "signed_on",
    "signed_at",
    "recurrent",
    "scheme",
)
# The characters a mandate reference may hold (SEPA's restricted Latin set).
RUM = re.compile(r"^[A-Za-z0-9+?/:().,' -]{1,35}$")
# Which status a mandate may be moved to, from which.
MOVES = {
    Mandate.Status.ACTIVE: {Mandate.Status.PENDING, Mandate.Status.SUSPENDED},
    Mandate.Status.SUSPENDED: {Mandate.Status.ACTIVE},
    Mandate.Status.REVOKED: {
        Mandate.Status.PENDING,
        Mandate.Status.ACTIVE,
        Mandate.Status.SUSPENDED,
    },
}


def _refuse(field: str, message: str, code: str) -> Invalid:
    return Invalid({field: [message]}, codes={field: [code]})


def _full_clean(instance) -> None:
    # The constraints are the database's to hold; the actions say so with their own codes.
    try:
        instance.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None


@action
def save_sepa_settings(firm_id: int, *, by: User, fields: Mapping[str, Any]) -> SepaSettings:
    """The firm's creditor identifier, collection account, pre-notification and scheme."""
    require_settings_right(by)
    if firm_id != by.firm_id:
        raise NotFound()
    sepa, _created = SepaSettings.objects.select_for_update().get_or_create(firm_id=firm_id)
    before = audit.values(sepa, SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        if name in fields:
            setattr(sepa, name, fields[name])
    _full_clean(sepa)
    sepa.save()
    changed = audit.changes(before, audit.values(sepa, SETTINGS_FIELDS))
    if changed:
        audit.record(AuditName.SEPA_SETTINGS_SAVED, sepa, by=by, firm_id=firm_id, details=changed)
    return sepa


@action
def create_mandate(client: Client | int, *, by: User, fields: Mapping[str, Any]) -> Mandate:
    """A client's mandate: active when signed (on paper), pending signature otherwise."""
    require_right(by)
    client = visible_client(by, client)
    values = {name: fields[name] for name in MANDATE_FIELDS if name in fields}
    mandate = Mandate(firm_id=client.firm_id, client=client, created_at=clock.now(), **values)
    mandate.reference = str(mandate.reference or "").strip()
    if mandate.reference and not RUM.match(mandate.reference):
        raise _refuse(
            "reference",
            _("Use letters, digits, spaces and + ? / - : ( ) . , ' only (35 at most)."),
            "invalid_reference",
        )
    _full_clean(mandate)
    if mandate.signed_on and mandate.signed_on > timezone.localdate():
        raise _refuse("signed_on", _("A mandate cannot be signed in the future."), "future")
    if Mandate.objects.filter(firm_id=client.firm_id, reference=mandate.reference).exists():
        raise _refuse(
            "reference", _("Another mandate of the firm has this reference."), "duplicate"
        )
    mandate.status = Mandate.Status.ACTIVE if mandate.signed_on else Mandate.Status.PENDING
    try:
        with transaction.atomic():
            mandate.save()
    except IntegrityError:
        raise _refuse(
            "reference", _("Another mandate of the firm has this reference."), "duplicate"
        ) from None
    audit.record(
        AuditName.MANDATE_CREATED,
        mandate,
        by=by,
        firm_id=client.firm_id,
        details={"client": client.pk, "status": mandate.status},
    )
    return mandate


def _lock_mandate(by: User, mandate: Mandate | int) -> Mandate:
    pk = mandate.pk if isinstance(mandate, Mandate) else mandate
    found = (
        Mandate.objects.select_for_update()
        .filter(pk=pk, firm_id=by.firm_id, client__in=_clients(by))
        .first()
    )
    if found is None:
        raise NotFound(_("No such mandate."))
    return found


def _clients(by: User):
    from facturier.clients.permissions import visible_clients

    return visible_clients(by)


@action
def set_mandate_status(
    mandate: Mandate | int, *, by: User, status: str, signed_on: datetime.date | None = None
) -> Mandate:
    """Activate (once signed), suspend, resume or revoke a mandate; revoked is final."""
    require_right(by)
    mandate = _lock_mandate(by, mandate)
    if status not in MOVES or mandate.status not in MOVES[status]:
        raise InvalidTransition(
            _("A mandate %(from)s cannot become %(to)s.")
            % {
                "from": mandate.get_status_display().lower(),
                "to": str(Mandate.Status(status).label).lower()
                if status in Mandate.Status.values
                else status,
            }
        )
    if status == Mandate.Status.ACTIVE and not mandate.signed_on:
        if signed_on is None:
            raise _refuse("signed_on", _("Enter the date the mandate was signed."), "required")
        if signed_on > timezone.localdate():
            raise _refuse("signed_on", _("A mandate cannot be signed in the future."), "future")
        mandate.signed_on = signed_on
    before = mandate.status
    mandate.status = status
    mandate.save(update_fields=["status", "signed_on"])
    audit.record(
        AuditName.MANDATE_STATUS_CHANGED,
        mandate,
        by=by,
        firm_id=mandate.firm_id,
        from_status=before,
        to_status=status,
    )
    return mandate


@action
def sign_mandate_online(
    mandate: Mandate | int,
    *,
    by: User | None = None,
    contact: Contact,
    on: datetime.date,
    evidence: int,
) -> Mandate:
    """A contact of the mandate's client accepted it online (`evidence`: the id of the
    evidence kept of it): pending signature, it becomes active, signed that day."""
    pk = mandate.pk if isinstance(mandate, Mandate) else mandate
    found = Mandate.objects.select_for_update().filter(pk=pk, client_id=contact.client_id).first()
    if found is None:
        raise NotFound(_("No such mandate."))
    if found.status != Mandate.Status.PENDING:
        raise InvalidTransition(
            _("A mandate %(from)s cannot become %(to)s.")
            % {
                "from": found.get_status_display().lower(),
                "to": str(Mandate.Status.ACTIVE.label).lower(),
            }
        )
    found.status, found.signed_on = Mandate.Status.ACTIVE, on
    found.save(update_fields=["status", "signed_on"])
    audit.record(
        AuditName.MANDATE_STATUS_CHANGED,
        found,
        by=by,
        firm_id=found.firm_id,
        from_status=Mandate.Status.PENDING,
        to_status=Mandate.Status.ACTIVE,
        details={"contact": contact.pk, "online": True, "evidence": evidence},
    )
    return found


def _lock_invoice(by: User, invoice: Invoice | int) -> Invoice:
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    found = (
        visible_invoices(by)
        .select_for_update(of=("self",))
        .select_related("client")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("No such invoice."))
    return found


def _debit_refusal(invoice: Invoice) -> tuple[str, str] | None:
    """Why the invoice's state keeps it from being debited: (message, code), or None."""
    if invoice.kind != DocumentKind.INVOICE or invoice.status == InvoiceStatus.DRAFT:
        return _("Only finalized invoices are collected by direct debit."), "not_finalized"
    if invoice.balance is None or invoice.balance <= 0:
        return _("Invoice %(invoice)s has nothing left to pay.") % {"invoice": invoice}, "paid"
    if invoice.credit_notes.exclude(status=InvoiceStatus.DRAFT).exists():
        return _("Invoice %(invoice)s was credited.") % {"invoice": invoice}, "credited"
    if invoice.currency != "EUR":
        return _("SEPA direct debits collect euros only."), "not_euro"
    if invoice.due_date is None:
        return _("Invoice %(invoice)s has no due date.") % {"invoice": invoice}, "no_due_date"
    return None


def active_mandate(client_id: int, *, today: datetime.date) -> Mandate | None:
    """The client's newest mandate that may collect today, or None."""
    for mandate in Mandate.objects.filter(client_id=client_id, status=Mandate.Status.ACTIVE):
        if mandate.current_status(today) != Mandate.Status.ACTIVE:
            continue
        if not mandate.recurrent and mandate.debits.exists():
            continue  # a one-off mandate collects once
        return mandate
    return None


def _debit_amount(invoice: Invoice, amount: Decimal | str | None) -> Decimal:
    """The amount to debit: the balance, or what was asked if it is no more."""
    errors: dict = {}
    codes: dict = {}
    wanted = (
        invoice.balance
        if amount in (None, "")
        else amount_in(amount, "EUR", "amount", errors, codes)
    )
    if errors:
        raise Invalid(errors, codes=codes)
    if wanted > invoice.balance:
        raise _refuse(
            "amount",
            _("Invoice %(invoice)s has %(balance)s left to pay.")
            % {
                "invoice": invoice,
                "balance": for_reader(invoice.currency).money(invoice.balance),
            },
            "exceeds_balance",
        )
    return wanted


@action
def schedule_debit(
    invoice: Invoice | int, *, by: User, amount: Decimal | str | None = None
) -> Debit:
    """Collect the invoice's balance (or `amount` of it) at its due date under the
    client's active mandate: once per invoice and due date."""
    require_right(by)
    invoice = _lock_invoice(by, invoice)
    refused = _debit_refusal(invoice)
    if refused is not None:
        raise _refuse("invoice", *refused)
    mandate = active_mandate(invoice.client_id, today=timezone.localdate())
    if mandate is None:
        raise _refuse(
            "mandate", _("The client has no active direct-debit mandate."), "no_active_mandate"
        )
    wanted = _debit_amount(invoice, amount)
    to = notice_recipient(invoice.client)
    debit = Debit(
        firm_id=invoice.firm_id,
        invoice=invoice,
        mandate=mandate,
        due_date=invoice.due_date,
        amount=wanted,
        scheduled_at=clock.now(),
    )
    already = _("Invoice %(invoice)s is already scheduled for debit on that date.") % {
        "invoice": invoice
    }
    if Debit.objects.filter(invoice=invoice, due_date=invoice.due_date).exists():
        raise _refuse("invoice", already, "already_scheduled")
    try:
        with transaction.atomic():
            debit.save()
    except IntegrityError:
        raise _refuse("invoice", already, "already_scheduled") from None
    queue_notice(debit, to=to, now=debit.scheduled_at)
    audit.record(
        AuditName.DEBIT_SCHEDULED,
        invoice,
        by=by,
        firm_id=invoice.firm_id,
        details={"amount": wanted, "due_date": invoice.due_date, "mandate": mandate.reference},
    )
    return debit


def _sequences(debits: list[Debit]) -> dict[int, str]:
    """FRST for a recurrent mandate's first collection, RCUR after, OOFF for one-off."""
    seen: set[int] = set()
    out = {}
    for debit in debits:
        mandate = debit.mandate
        if not mandate.recurrent:
            out[debit.pk] = Debit.Sequence.ONE_OFF
        elif mandate.pk in seen or mandate.last_collected_on is not None:
            out[debit.pk] = Debit.Sequence.RECURRENT
        else:
            out[debit.pk] = Debit.Sequence.FIRST
        seen.add(mandate.pk)
    return out


def _collections(debits: list[Debit], sequences: dict[int, str], *, earliest: datetime.date):
    return [
        pain008.Collection(
            end_to_end_id=f"DD{debit.pk}",
            debtor_name=debit.mandate.debtor_name,
            iban=debit.mandate.iban,
            bic=debit.mandate.bic,
            amount=debit.amount,
            collection_date=max(debit.due_date, earliest),
            mandate_reference=debit.mandate.reference,
            mandate_signed_on=debit.mandate.signed_on,
            sequence=sequences[debit.pk],
            description=str(debit.invoice.number or debit.invoice_id),
        )
        for debit in debits
    ]


def _creditor(by: User) -> pain008.Creditor:
    sepa = SepaSettings.objects.filter(firm_id=by.firm_id).select_related("firm").first()
    if sepa is None or not sepa.complete:
        raise _refuse(
            "batch",
            _("Enter the creditor identifier and the collection IBAN and BIC first (Settings)."),
            "sepa_not_set_up",
        )
    return pain008.Creditor(
        name=sepa.firm.name,
        creditor_id=sepa.creditor_id,
        iban=sepa.iban,
        bic=sepa.bic,
        scheme=sepa.scheme,
        schema=sepa.pain_version,
    )


@action
def export_debit_batch(*, by: User) -> DebitBatch:
    """Every scheduled debit of the firm in one pain.008 file; they are sent to the bank
    and locked. Under the debits' row locks: two exports at once never share one."""
    require_right(by)
    creditor = _creditor(by)
    debits = list(
        Debit.objects.select_for_update(of=("self",))
        .filter(firm_id=by.firm_id, status=Debit.Status.SCHEDULED)
        .select_related("mandate", "invoice")
        .order_by("due_date", "id")
    )
    if not debits:
        raise _refuse(
            "batch",
            _("No scheduled debit to export: every debit was sent to the bank already."),
            "nothing_due",
        )
    sequences = _sequences(debits)
    earliest = timezone.localdate() + datetime.timedelta(days=1)
    collections = _collections(debits, sequences, earliest=earliest)
    try:
        message_id, xml = pain008.build(creditor, collections)
    except pain008.Pain008Error as exc:
        raise _refuse(
            "batch", _("The bank file is not valid: %(error)s") % {"error": exc}, "invalid_file"
        ) from None
    batch = DebitBatch.objects.create(
        firm_id=by.firm_id,
        message_id=message_id,
        created_at=clock.now(),
        created_by=by,
        count=len(debits),
        control_sum=sum((d.amount for d in debits), Decimal(0)),
        xml=xml,
    )
    for debit, collection in zip(debits, collections, strict=True):
        debit.status, debit.sequence, debit.batch = Debit.Status.SENT, sequences[debit.pk], batch
        Mandate.objects.filter(pk=debit.mandate_id).update(
            last_collected_on=collection.collection_date
        )
    Debit.objects.bulk_update(debits, ["status", "sequence", "batch"])
    audit.record(
        AuditName.DEBIT_BATCH_EXPORTED,
        batch,
        by=by,
        firm_id=by.firm_id,
        details={"count": batch.count, "total": batch.control_sum},
    )
    return batch
