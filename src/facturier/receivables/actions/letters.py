"""Letters to clients: a statement of account asked for by a person, and what became
of a letter's e-mail (recorded by the outbox worker)."""

import datetime
from email.utils import make_msgid

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.clients.models import Client
from facturier.clients.permissions import visible_clients
from facturier.core import clock
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import Invalid, NotFound
from facturier.firms import audit
from facturier.firms.models import User
from facturier.invoicing.actions import (
    HEADER_BREAKERS,
    MAX_MESSAGE,
    MAX_SUBJECT,
    check_texts,
    clean_addresses,
    record_event,
)
from facturier.invoicing.selectors import default_template
from facturier.outbox import engine
from facturier.outbox.engine import settle
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus
from facturier.outbox.retrying import requeue_one

from .. import letters
from ..events import AuditName
from ..history import InvoiceHistory
from ..models import Letter
from ..selectors import account_statement
from .common import require_right, visible_client

NO_SUCH_LETTER = gettext_lazy("No such letter.")


def statement_filename(language: str, end: datetime.date) -> str:
    """The statement's PDF named in its language: releve-de-compte-2026-12-31.pdf."""
    with translation.override(language):
        name = _("statement")
    return f"{name}-{end.isoformat()}.pdf"


def statement_of_account_texts(language: str) -> tuple[str, str]:
    with translation.override(language):
        return (
            _("Statement of account from {firm}"),
            _(
                "Hello,\n\nPlease find attached the statement of your account with us.\n\n"
                "Kind regards,\n{firm}"
            ),
        )


def statement_of_account_pdf(
    statement: letters.StatementOfAccount, *, language: str, day: datetime.date
) -> bytes:
    client = statement.client
    template = default_template(client.firm_id)
    return letters.render(
        letters.statement_document(
            firm=client.firm, template=template, language=language, day=day, statement=statement
        )
    )


def check_period(start, end, *, today: datetime.date) -> None:
    if start is None or end is None or start > end:
        raise Invalid(
            {"end": [_("The period must end on or after its first day.")]},
            codes={"end": ["invalid_period"]},
        )
    if (end - start).days > 3660:
        raise Invalid(
            {"start": [_("At most ten years at a time.")]}, codes={"start": ["period_too_long"]}
        )


@action
def send_statement_of_account(
    client: Client | int,
    *,
    by: User,
    start: datetime.date,
    end: datetime.date,
    currency: str | None = None,
    subject: str | None = None,
    message: str | None = None,
    to=None,
    now: datetime.datetime | None = None,
) -> Letter:
    """E-mail the client its statement of account over a period, as a PDF."""
    require_right(by)
    now = clock.now(now)
    today = timezone.localdate(now)
    client = Client.objects.select_related("firm").get(pk=visible_client(by, client).pk)
    check_period(start, end, today=today)
    language = client.language
    default_subject, default_message = statement_of_account_texts(language)
    subject, message = subject or default_subject, message or default_message
    check_texts(subject, message)
    recipients = _recipients(client, to)
    statement = account_statement(client, currency or client.currency, start, end, user=by)
    firm = client.firm
    values = {"firm": firm.name, "client": client.name, "number": "", "total": "", "due_date": ""}
    body = message.format_map(values)
    if len(body) > MAX_MESSAGE:
        raise Invalid(
            {"message": [_("At most %(count)d characters.") % {"count": MAX_MESSAGE}]},
            codes={"message": ["max_length"]},
        )
    sender = firm.email_from or settings.DEFAULT_FROM_EMAIL
    letter = Letter.objects.create(
        firm=firm,
        client=client,
        purpose=Letter.Purpose.STATEMENT,
        day=today,
        requested_by=by,
        to=recipients,
        from_email=sender,
        reply_to=firm.email_reply_to,
        subject=HEADER_BREAKERS.sub(" ", subject.format_map(values))[:MAX_SUBJECT],
        body=body,
        language=language,
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        pdf=statement_of_account_pdf(statement, language=language, day=today),
        filename=statement_filename(language, end),
        created_at=now,
        next_attempt_at=now,
    )
    audit.record(
        AuditName.CLIENT_STATEMENT_SENT,
        client,
        by=by,
        firm_id=client.firm_id,
        at=now,
        details={"letter": letter.pk, "start": start, "end": end, "to": recipients},
    )
    return letter


def _recipients(client: Client, to) -> list[str]:
    """The addresses typed, checked; else the client's billing contact."""
    recipients = clean_addresses(to, "to") if to is not None else None
    if recipients is None:
        contact = client.billing_contact
        recipients = [contact.email] if contact else []
    if not recipients:
        raise Invalid(
            {
                "to": [
                    _("No recipient for %(client)s: add a billing contact.")
                    % {"client": client.name}
                ]
            },
            codes={"to": ["no_recipient"]},
        )
    return recipients


@action
def record_letter_outcome(letter: Letter, attempt: int, outcome: Outcome) -> bool:
    """Store the outcome of `attempt`; a reminder's invoices each get an event."""
    at = timezone.now()
    fields = {"refused": outcome.details.get("refused", {})}
    if outcome.status == DeliveryStatus.SENT:
        fields["sent_at"] = at
    if not settle(letter, attempt, outcome, **fields):
        return False
    if letter.purpose != Letter.Purpose.REMINDER or outcome.status == DeliveryStatus.RETRYING:
        return True
    sent = outcome.status == DeliveryStatus.SENT
    event = InvoiceHistory.REMINDER_DELIVERED if sent else InvoiceHistory.REMINDER_FAILED
    details = {"letter": letter.pk, "to": letter.to}
    if outcome.status != DeliveryStatus.SENT:
        details["reason"] = outcome.reason
        details |= {"reasons": outcome.texts} if outcome.texts else {}
    for item in letter.items.select_related("invoice"):
        record_event(item.invoice, event, by=None, at=at, details=details)
    return True


@action
def retry_letter(letter: Letter | int, *, by: User, now: datetime.datetime | None = None) -> Letter:
    """Queue a failed letter's e-mail again (the processing permission); refused for
    one sent or under way (409)."""
    now = clock.now(now)
    pk = row_id(letter.pk if isinstance(letter, Letter) else letter)
    found = None if pk is None else _visible_letters(by).filter(pk=pk).first()
    if found is None:  # what one cannot see, one hears nothing of
        raise NotFound(NO_SUCH_LETTER)
    require_right(by)
    requeue_one(found, now=now)
    _record_retries([found], by=by, now=now)
    return found


@action
def retry_failed_letters(*, by: User, now: datetime.datetime | None = None) -> list[Letter]:
    """Queue again every failed letter of the clients the user sees."""
    require_right(by)
    now = clock.now(now)
    failed = _visible_letters(by).filter(status=DeliveryStatus.FAILED)
    letters_ = list(failed.select_for_update(of=("self",)).order_by("pk"))
    engine.requeue(Letter.objects.filter(pk__in=[item.pk for item in letters_]), now=now)
    _record_retries(letters_, by=by, now=now)
    return letters_


def _visible_letters(by):
    return Letter.objects.filter(firm_id=by.firm_id, client__in=visible_clients(by)).defer("pdf")


def _record_retries(letters_: list[Letter], *, by, now) -> None:
    """The audit trail's row; a reminder's invoices each get a line on their history."""
    for letter in letters_:
        audit.record(
            AuditName.LETTER_RETRIED,
            letter,
            by=by,
            firm_id=letter.firm_id,
            at=now,
            details={"letter": letter.pk, "purpose": letter.purpose, "to": letter.to},
        )
        if letter.purpose != Letter.Purpose.REMINDER:
            continue
        details = {"letter": letter.pk, "to": letter.to}
        for item in letter.items.select_related("invoice"):
            record_event(
                item.invoice, InvoiceHistory.REMINDER_REQUEUED, by=by, at=now, details=details
            )
