"""Asking for invoices to be e-mailed.

send_invoices() writes one EmailDelivery per invoice in the request's
transaction (the outbox); the outbox worker, which looks for due deliveries every
second, does the sending (invoicing/deliveries.py). Send takes only invoices never sent;
a resend is one invoice at a time (permissions.refusal() says so for both).
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import AlreadySent, Invalid, NotFound
from facturier.firms.models import AuditEvent, User

from .. import permissions
from ..emails import check_placeholders, recipients_for, resolve
from ..lifecycle import Action, InvoiceStatus
from ..models import EmailDelivery, Invoice
from ..selectors import pending_invoice_ids
from .audit import NO_SUCH_INVOICE, invoice_event, require
from .balances import lock_invoices

MAX_SUBJECT = 250
MAX_MESSAGE = 20_000
# Characters no e-mail header may carry (a line break would start a new header).
HEADER_BREAKERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


def clean_addresses(values: Iterable[str], field: str) -> list[str]:
    cleaned = []
    for value in values:
        for address in str(value).replace(";", ",").split(","):
            address = address.strip()
            if not address:
                continue
            try:
                if HEADER_BREAKERS.search(address):
                    raise ValidationError("control character")
                validate_email(address)
            except ValidationError:
                raise Invalid(
                    {
                        field: [
                            _("“%(address)s” is not a valid e-mail address.") % {"address": address}
                        ]
                    },
                    codes={field: ["invalid_email"]},
                ) from None
            cleaned.append(address)
    return cleaned


def _check_language(language: str | None) -> None:
    if language is not None and language not in dict(settings.LANGUAGES):
        raise Invalid(
            {"language": [_("Choose English or French.")]}, codes={"language": ["invalid_choice"]}
        )


def check_texts(subject: str, message: str) -> None:
    """The subject and message as typed: present, single-line subject, known placeholders."""
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("message", message)):
        if not (text or "").strip():
            errors[field], codes[field] = [_("This field is required.")], ["required"]
    if subject and HEADER_BREAKERS.search(subject):
        errors["subject"] = [_("The subject must fit on one line.")]
        codes["subject"] = ["invalid_characters"]
    if len(subject or "") > MAX_SUBJECT:
        errors["subject"] = [_("At most %(count)d characters.") % {"count": MAX_SUBJECT}]
        codes["subject"] = ["max_length"]
    if len(message or "") > MAX_MESSAGE:
        errors["message"] = [_("At most %(count)d characters.") % {"count": MAX_MESSAGE}]
        codes["message"] = ["max_length"]
    if errors:
        raise Invalid(errors, codes=codes)
    check_placeholders(subject, "subject")
    check_placeholders(message, "message")


@action
def send_invoices(
    invoices: Sequence[Invoice | int],
    *,
    by: User,
    subject: str,
    message: str,
    to: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    resend: bool | None = False,
    language: str | None = None,
    now: datetime.datetime | None = None,
) -> list[EmailDelivery]:
    """Queue one e-mail per invoice, each to its own client with its own PDF.

    `resend`: False sends invoices never sent; True resends one that was; None
    does whichever applies to the one invoice given. `to` overrides the billing
    contact and is only taken for a single invoice. `language` ("fr", "en")
    writes the amounts and dates of every e-mail in it; by default each e-mail
    is in its client's language.
    """
    now = clock.now(now)
    _check_selection(invoices, resend=resend, to=to)
    cc_list, to_override = _checked_fields(subject, message, language=language, cc=cc, to=to)
    locked = _lock_for_sending(invoices, by=by)
    modes = _modes(locked, by=by, resend=resend)
    recipients = {
        invoice.pk: to_override if to_override is not None else recipients_for(invoice)
        for invoice in locked
    }
    _require_recipients(locked, recipients, to_override)
    deliveries = []
    for invoice in locked:
        body = resolve(message, invoice, language)
        if len(body) > MAX_MESSAGE:
            raise Invalid(
                {"message": [_("At most %(count)d characters.") % {"count": MAX_MESSAGE}]},
                codes={"message": ["max_length"]},
            )
        deliveries.append(
            _delivery(
                invoice,
                by=by,
                is_resend=modes[invoice.pk],
                to=recipients[invoice.pk],
                cc=cc_list,
                subject=resolve(subject, invoice, language),
                body=body,
                language=language or invoice.client.language,
                now=now,
            )
        )
    _write(deliveries, by=by, now=now)
    return deliveries


def _write(deliveries: list[EmailDelivery], *, by, now) -> None:
    """The deliveries and each invoice's send event, written together: a bulk send of
    hundreds makes two inserts, not two per invoice."""
    EmailDelivery.objects.bulk_create(deliveries)
    AuditEvent.objects.bulk_create(
        invoice_event(
            delivery.invoice,
            Action.SEND,
            by=by,
            from_status=InvoiceStatus.FINALIZED,
            to_status=InvoiceStatus.FINALIZED,
            at=now,
            details={"delivery": delivery.pk, "to": delivery.to, "resend": delivery.is_resend},
        )
        for delivery in deliveries
    )


def _check_selection(invoices: Sequence, *, resend: bool | None, to) -> None:
    """At least one invoice; a single one for a resend or chosen recipients."""
    if not invoices:
        raise Invalid(
            {"invoices": [_("Select at least one invoice.")]}, codes={"invoices": ["required"]}
        )
    if resend is not False and len(invoices) != 1:
        raise AlreadySent(gettext_lazy("Resends go one at a time: select a single invoice."))
    if to is not None and len(invoices) != 1:
        raise Invalid(
            {"to": [_("Recipients can be chosen for a single invoice only.")]},
            codes={"to": ["single_invoice_only"]},
        )


def _checked_fields(
    subject: str, message: str, *, language, cc, to
) -> tuple[list[str], list[str] | None]:
    """The copies and the chosen recipients (None: each invoice's contacts), once every
    field is checked: the user mends them all at once."""
    problems: list[Invalid] = []
    checked = {}
    for name, check in (
        ("texts", lambda: check_texts(subject, message)),
        ("language", lambda: _check_language(language)),
        ("cc", lambda: clean_addresses(cc, "cc")),
        ("to", lambda: clean_addresses(to, "to") if to is not None else None),
    ):
        try:
            checked[name] = check()
        except Invalid as exc:
            problems.append(exc)
    if problems:
        raise Invalid(
            {f: m for p in problems for f, m in p.errors.items()},
            codes={f: c for p in problems for f, c in p.codes.items()},
        )
    return checked["cc"], checked["to"]


def _modes(locked: list[Invoice], *, by, resend: bool | None) -> dict[int, bool]:
    """Per invoice, whether this is a resend, once the user's right to it is checked."""
    pending = pending_invoice_ids(locked)
    modes = {}
    for invoice in locked:
        sent = permissions.was_sent(invoice, pending=invoice.pk in pending)
        modes[invoice.pk] = sent if resend is None else resend
        require(
            permissions.refusal("resend" if modes[invoice.pk] else "send", by, invoice, sent=sent)
        )
    return modes


def _require_recipients(
    locked: list[Invoice], recipients: dict[int, list[str]], to_override: list[str] | None
) -> None:
    """Each invoice's recipients (read once, and these are the ones its e-mail gets)."""
    missing = [i.client.name for i in locked if to_override is None and not recipients[i.pk]]
    if missing or to_override == []:
        raise Invalid(
            {
                "to": [
                    _("No recipient for %(clients)s: add a billing contact.")
                    % {"clients": ", ".join(missing) or locked[0].client.name}
                ]
            },
            codes={"to": ["no_recipient"]},
        )


def _delivery(invoice: Invoice, *, by, subject: str, now, **fields) -> EmailDelivery:
    """The invoice's e-mail, from its firm, due now; its subject on one line."""
    firm = invoice.firm
    sender = firm.email_from or settings.DEFAULT_FROM_EMAIL
    return EmailDelivery(
        firm=firm,
        invoice=invoice,
        requested_by=by,
        from_email=sender,
        reply_to=firm.email_reply_to,
        subject=HEADER_BREAKERS.sub(" ", subject)[:MAX_SUBJECT],
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        next_attempt_at=now,
        **fields,
    )


def _lock_for_sending(items: Sequence[Invoice | int], *, by) -> list[Invoice]:
    """The invoices as given, locked together (lock_invoices) with their firm, client
    and, for several, the clients' contacts in one query (a single invoice's billing
    contact is read when asked, from a statement compiled once: the billing run sends
    its invoices one by one)."""
    try:
        ids = [int(item.pk if isinstance(item, Invoice) else item) for item in items]
    except (ValueError, TypeError):
        raise NotFound(NO_SUCH_INVOICE) from None
    found = lock_invoices(
        ids,
        by=by,
        firm_id=by.firm_id,
        related=("firm", "client"),
        prefetch=("client__contacts",) if len(ids) > 1 else (),
    )
    return [found[pk] for pk in ids]
