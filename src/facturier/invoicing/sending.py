"""Asking for invoices to be e-mailed: the send action and its placeholders.

send_invoices() writes one EmailDelivery per invoice in the request's
transaction (the outbox) and wakes a worker once it commits; delivery.py
does the sending. Bulk sends take only invoices never sent; a resend is one
invoice at a time.
"""

import datetime
import string
from collections.abc import Iterable, Sequence
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import lifecycle, permissions
from .errors import AlreadySent, Invalid, InvalidTransition, NotAllowed
from .lifecycle import Action, Status
from .models import EmailDelivery, Invoice
from .rendering.document import Formatter

PLACEHOLDERS = ("number", "client", "total", "due_date", "firm")


def default_subject(language: str) -> str:
    with translation.override(language):
        return _("Invoice {number} from {firm}")


def default_message(language: str) -> str:
    with translation.override(language):
        return _(
            "Hello,\n\nPlease find attached invoice {number} for {total}, due on {due_date}."
            "\n\nKind regards,\n{firm}"
        )


def placeholder_values(invoice: Invoice) -> dict[str, str]:
    language = invoice.client.language
    fmt = Formatter(language, invoice.currency)
    return {
        "number": invoice.number or "",
        "client": invoice.client.name,
        "total": fmt.money(invoice.total_gross),
        "due_date": fmt.date(invoice.due_date.isoformat() if invoice.due_date else None),
        "firm": invoice.firm.name,
    }


def check_placeholders(text: str, field: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise Invalid({field: [gettext_lazy("Unbalanced { or } in the text.")]}) from None
    unknown = sorted(set(names) - set(PLACEHOLDERS))
    if unknown:
        raise Invalid(
            {
                field: [
                    _("Unknown placeholder {%(name)s}; use %(known)s.")
                    % {"name": unknown[0], "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)}
                ]
            }
        )


def resolve(text: str, invoice: Invoice) -> str:
    return text.format_map(placeholder_values(invoice))


def _addresses(values: Iterable[str], field: str) -> list[str]:
    cleaned = []
    for value in values:
        for address in str(value).replace(";", ",").split(","):
            address = address.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError:
                raise Invalid(
                    {
                        field: [
                            _("“%(address)s” is not a valid e-mail address.") % {"address": address}
                        ]
                    }
                ) from None
            cleaned.append(address)
    return cleaned


def recipients_for(invoice: Invoice) -> list[str]:
    contact = invoice.client.billing_contact
    return [contact.email] if contact else []


@transaction.atomic
def send_invoices(
    invoices: Sequence[Invoice | int],
    *,
    by,
    subject: str,
    message: str,
    to: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    resend: bool = False,
    now: datetime.datetime | None = None,
) -> list[EmailDelivery]:
    """Queue one e-mail per invoice, each to its own client with its own PDF.

    `to` overrides the billing contact and is only taken for a single invoice.
    """
    from .actions import _lock, _record  # the lifecycle's own helpers

    now = now or timezone.now()
    if not invoices:
        raise Invalid({"invoices": [_("Select at least one invoice.")]})
    if resend and len(invoices) != 1:
        raise AlreadySent(gettext_lazy("Resends go one at a time: select a single invoice."))
    if to is not None and len(invoices) != 1:
        raise Invalid({"to": [_("Recipients can be chosen for a single invoice only.")]})
    errors: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("message", message)):
        if not (text or "").strip():
            errors[field] = [_("This field is required.")]
    if errors:
        raise Invalid(errors)
    check_placeholders(subject, "subject")
    check_placeholders(message, "message")
    cc_list = _addresses(cc, "cc")
    to_override = _addresses(to, "to") if to is not None else None

    locked = [_lock(item, by=by) for item in invoices]
    for invoice in locked:
        if not permissions.can_send(by, invoice):
            raise NotAllowed(
                _(
                    "Only an owner of %(client)s with the processing permission may "
                    "send its invoices."
                )
                % {"client": invoice.client.name}
            )
        if not lifecycle.applies(Action.SEND, invoice.status):
            raise InvalidTransition(
                gettext_lazy("Invoice %(invoice)s is %(status)s: it cannot be %(action)s."),
                invoice=str(invoice),
                status=lifecycle.STATUS_PHRASE[invoice.status],
                action=Action.SEND.label,
            )
    if not resend:
        already = [
            str(i)
            for i in locked
            if i.sent_count
            or EmailDelivery.objects.filter(invoice=i, status__in=EmailDelivery.PENDING).exists()
        ]
        if already:
            raise AlreadySent(
                gettext_lazy(
                    "Already sent or being sent: %(numbers)s. Resend those one at a time."
                ),
                numbers=", ".join(already),
            )
    missing = [i.client.name for i in locked if to_override is None and not recipients_for(i)]
    if missing or to_override == []:
        raise Invalid(
            {
                "to": [
                    _("No recipient for %(clients)s: add a billing contact.")
                    % {"clients": ", ".join(missing) or locked[0].client.name}
                ]
            }
        )

    deliveries = []
    for invoice in locked:
        firm = invoice.firm
        domain = (firm.email_from or settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "localhost"
        delivery = EmailDelivery.objects.create(
            firm=firm,
            invoice=invoice,
            requested_by=by,
            is_resend=resend,
            to=to_override if to_override is not None else recipients_for(invoice),
            cc=cc_list,
            from_email=firm.email_from or settings.DEFAULT_FROM_EMAIL,
            reply_to=firm.email_reply_to,
            subject=resolve(subject, invoice).replace("\n", " ")[:250],
            body=resolve(message, invoice),
            language=invoice.client.language,
            message_id=make_msgid(domain=domain),
            next_attempt_at=now,
        )
        _record(
            invoice,
            Action.SEND,
            by=by,
            from_status=Status.FINALIZED,
            to_status=Status.FINALIZED,
            at=now,
            details={"delivery": delivery.pk, "to": delivery.to, "resend": resend},
        )
        deliveries.append(delivery)
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _wake_workers(ids))
    return deliveries


def _wake_workers(delivery_ids: list[int]) -> None:
    from .tasks import deliver_email

    for delivery_id in delivery_ids:
        deliver_email.enqueue(delivery_id)


__all__ = ["send_invoices"]
