"""Chasing late payers: the firm's reminder levels, the worker's periodic pass, the
"Send a reminder now" of the Invoices tab, and pauses.

The rules, the same on every path:
- an invoice is reminded only while it is finalized (not closed), owes something
  that the client's credit in its currency does not cover, and neither it nor its
  client is on pause;
- each level at most once per invoice, never a level below one already sent
  (ReminderItem is unique per invoice and level: two workers passing together
  remind once; the loser's whole letter rolls back);
- the worker sends the highest level whose day has come; a person sending now
  sends the next level not yet sent, once the invoice is past due;
- one letter per client, currency and level, e-mailed through the outbox with the
  letter's PDF (and the invoices' PDFs when the level says so); an event on each
  invoice's history.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.clients.models import Client
from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import Invalid, NotAllowed
from facturier.core.formatting import Formatter
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import Firm, User
from facturier.invoicing.actions import (
    HEADER_BREAKERS,
    MAX_SUBJECT,
    check_texts,
    clean_addresses,
    record_event,
)
from facturier.invoicing.emails import recipients_for
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice
from facturier.invoicing.permissions import visible_invoices
from facturier.invoicing.selectors import default_template

from .. import letters
from ..dunning import covered_by_credit, last_levels, level_due, levels_of, reminder_blocks
from ..events import AuditName
from ..history import InvoiceHistory
from ..models import Letter, ReminderItem, ReminderLevel, ReminderPause
from .common import require_right

logger = logging.getLogger(__name__)

MAX_LEVELS = 20
LEVEL_DAYS = range(-365, 366)


# -- Levels ------------------------------------------------------------------------


def default_levels() -> list[dict[str, Any]]:
    """What a firm starts from: a friendly note, a firm one, a last notice."""
    texts = []
    for days, en, fr in (
        (
            7,
            (
                "Reminder: invoice {number} is due",
                "Hello,\n\nUnless we are mistaken, invoice {number} of {total}, due on "
                "{due_date}, is still unpaid. You will find our letter attached.\n\n"
                "Kind regards,\n{firm}",
            ),
            (
                "Rappel : facture {number} échue",
                "Bonjour,\n\nSauf erreur de notre part, la facture {number} de {total}, "
                "échue le {due_date}, reste impayée. Vous trouverez notre courrier en "
                "pièce jointe.\n\nCordialement,\n{firm}",
            ),
        ),
        (
            21,
            (
                "Second reminder: invoice {number}",
                "Hello,\n\nInvoice {number} of {total}, due on {due_date}, is still "
                "unpaid despite our first reminder. Please pay it without delay.\n\n"
                "Kind regards,\n{firm}",
            ),
            (
                "Deuxième relance : facture {number}",
                "Bonjour,\n\nMalgré notre premier rappel, la facture {number} de {total}, "
                "échue le {due_date}, reste impayée. Merci de la régler sans tarder.\n\n"
                "Cordialement,\n{firm}",
            ),
        ),
        (
            45,
            (
                "Final notice: invoice {number}",
                "Hello,\n\nThis is our last reminder before we take further steps: "
                "invoice {number} of {total} was due on {due_date}.\n\nKind regards,\n{firm}",
            ),
            (
                "Mise en demeure : facture {number}",
                "Bonjour,\n\nCeci est notre dernière relance avant d'engager d'autres "
                "démarches : la facture {number} de {total} était due le {due_date}.\n\n"
                "Cordialement,\n{firm}",
            ),
        ),
    ):
        texts.append(
            {
                "days": days,
                "subject_en": en[0],
                "message_en": en[1],
                "subject_fr": fr[0],
                "message_fr": fr[1],
                "attach_invoice": True,
            }
        )
    return texts


def _check_levels(levels: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    if len(levels) > MAX_LEVELS:
        raise Invalid(
            {"levels": [_("At most %(count)d levels.") % {"count": MAX_LEVELS}]},
            codes={"levels": ["too_many"]},
        )
    cleaned, seen = [], set()
    for index, level in enumerate(levels, start=1):
        prefix = f"levels.{index}"
        try:
            days = int(str(level.get("days", "")).strip())
        except (TypeError, ValueError):
            errors[f"{prefix}.days"] = [_("Enter a whole number of days.")]
            codes[f"{prefix}.days"] = ["invalid"]
            continue
        if days not in LEVEL_DAYS:
            errors[f"{prefix}.days"] = [_("Between -365 and 365 days.")]
            codes[f"{prefix}.days"] = ["out_of_range"]
            continue
        if days in seen:
            errors[f"{prefix}.days"] = [_("Two levels cannot fall on the same day.")]
            codes[f"{prefix}.days"] = ["duplicate"]
            continue
        seen.add(days)
        texts = {}
        for language in ("fr", "en"):
            subject = str(level.get(f"subject_{language}") or "").strip()
            message = str(level.get(f"message_{language}") or "").strip()
            try:
                check_texts(subject, message)
            except Invalid as exc:
                for name, messages in exc.errors.items():
                    errors[f"{prefix}.{name}_{language}"] = messages
                    codes[f"{prefix}.{name}_{language}"] = exc.codes.get(name, ["invalid"])
            texts[f"subject_{language}"], texts[f"message_{language}"] = subject, message
        cleaned.append(
            {"days": days, **texts, "attach_invoice": bool(level.get("attach_invoice", True))}
        )
    if errors:
        raise Invalid(errors, codes=codes)
    return sorted(cleaned, key=lambda level: level["days"])


@action
def save_levels(
    firm: Firm | int, *, by: User, levels: Sequence[dict[str, Any]]
) -> list[ReminderLevel]:
    """Replace the firm's reminder levels. A level already used by a reminder keeps its
    row (and its history) when its day stays; one whose day goes away is removed only if
    no reminder used it."""
    require_settings_right(by)
    firm_id = firm.pk if isinstance(firm, Firm) else firm
    if by.firm_id != firm_id:
        raise NotAllowed(gettext_lazy("Not a member of this firm."))
    cleaned = _check_levels(levels)
    firm = Firm.objects.select_for_update().get(pk=firm_id)
    current = {level.days: level for level in ReminderLevel.objects.filter(firm_id=firm_id)}
    wanted = {level["days"] for level in cleaned}
    used = set(
        ReminderItem.objects.filter(level__firm_id=firm_id).values_list("level__days", flat=True)
    )
    kept_used = sorted(set(current) - wanted & used)
    if kept_used:
        raise Invalid(
            {
                "levels": [
                    _("The level at %(days)d days was sent already: keep it.")
                    % {"days": kept_used[0]}
                ]
            },
            codes={"levels": ["level_in_use"]},
        )
    ReminderLevel.objects.filter(firm_id=firm_id).exclude(days__in=wanted).delete()
    saved = []
    for level in cleaned:
        row = current.get(level["days"]) or ReminderLevel(firm_id=firm_id)
        for name, value in level.items():
            setattr(row, name, value)
        row.save()
        saved.append(row)
    audit.record(
        AuditName.REMINDER_LEVELS_SAVED,
        firm,
        by=by,
        firm_id=firm_id,
        details={"days": [level["days"] for level in cleaned]},
    )
    return saved


# -- Pauses ------------------------------------------------------------------------


REASON_MAX = ReminderPause._meta.get_field("reason").max_length


@action
def set_pause(
    target: Client | Invoice, *, by: User, paused: bool, reason: str = "", now=None
) -> ReminderPause | None:
    """Stop (or resume) the reminders of one client or one invoice."""
    require_right(by)
    if len(reason) > REASON_MAX:
        # Never cut what a person typed: refuse it, and keep the form as it was.
        raise Invalid(
            {"reason": [_("At most %(max)d characters.") % {"max": REASON_MAX}]},
            codes={"reason": ["max_length"]},
        )
    now = clock.now(now)
    is_invoice = isinstance(target, Invoice)
    lookup = {"invoice": target} if is_invoice else {"client": target}
    existing = ReminderPause.objects.select_for_update().filter(**lookup).first()
    pause = existing
    if paused and existing is None:
        pause = ReminderPause.objects.create(
            firm_id=target.firm_id, paused_by=by, paused_at=now, reason=reason, **lookup
        )
    elif not paused and existing is not None:
        existing.delete()
        pause = None
    else:
        return existing  # nothing changes
    if is_invoice:
        event = InvoiceHistory.REMINDERS_PAUSED if paused else InvoiceHistory.REMINDERS_RESUMED
        record_event(target, event, by=by, at=now, details={"reason": reason})
    else:
        audit.record(
            AuditName.CLIENT_REMINDERS_PAUSED if paused else AuditName.CLIENT_REMINDERS_RESUMED,
            target,
            by=by,
            firm_id=target.firm_id,
            details={"reason": reason},
            at=now,
        )
    return pause


# -- Which invoices are due a reminder --------------------------------------------


def _remindable(firm_id: int) -> Any:
    """Finalized invoices that owe something, off pause."""
    return Invoice.objects.filter(
        firm_id=firm_id,
        kind=DocumentKind.INVOICE,
        status=InvoiceStatus.FINALIZED,
        balance__gt=0,
        due_date__isnull=False,
        reminder_pause__isnull=True,
        client__reminder_pause__isnull=True,
    ).select_related("client", "firm")


def _candidates(firm_id: int) -> Any:
    """The remindable invoices with the day of the last level each one had."""
    return _remindable(firm_id).annotate(last_days=Max("reminders__level__days"))


def _lock(rows) -> list[Invoice]:
    """Lock the invoices (by ascending id) and read the last level each one had: after
    the lock, so a reminder another worker just made is seen."""
    locked = list(rows.select_for_update(of=("self",)).order_by("pk"))
    last = last_levels(invoice.pk for invoice in locked)
    for invoice in locked:
        invoice.last_days = last.get(invoice.pk)
    return locked


# -- Issuing a letter ---------------------------------------------------------------


def placeholder_values(invoices: list[Invoice], language: str) -> dict[str, str]:
    """The e-mail dialog's placeholders, for a letter about one or several invoices."""
    first = invoices[0]
    fmt = Formatter(language, first.currency)
    return {
        "number": ", ".join(invoice.number for invoice in invoices),
        "client": first.client.name,
        "total": fmt.money(sum((invoice.balance for invoice in invoices), Decimal(0))),
        "due_date": fmt.date(min(invoice.due_date for invoice in invoices).isoformat()),
        "firm": first.firm.name,
    }


def _issue(
    invoices: list[Invoice],
    levels: dict[int, ReminderLevel],
    ranks: dict[int, int],
    *,
    by,
    day: datetime.date,
    now: datetime.datetime,
    subject: str | None = None,
    message: str | None = None,
    language: str | None = None,
    to: list[str] | None = None,
) -> Letter:
    """One letter about `invoices` (one client, one currency), each at its level."""
    first = invoices[0]
    firm, client = first.firm, first.client
    language = language or client.language
    top = max((levels[invoice.pk] for invoice in invoices), key=lambda level: level.days)
    default_subject, default_message = top.texts(language)
    values = placeholder_values(invoices, language)
    subject_text = HEADER_BREAKERS.sub(" ", (subject or default_subject).format_map(values))
    body = (message or default_message).format_map(values)
    lines = [_line(invoice, day, firm=firm, client=client) for invoice in invoices]
    document = letters.reminder_document(
        firm=firm,
        client=client,
        template=default_template(firm.pk),
        language=language,
        day=day,
        currency=first.currency,
        lines=lines,
        rank=ranks[top.pk],
    )
    sender = firm.email_from or settings.DEFAULT_FROM_EMAIL
    with translation.override(language):  # the attachment's name in the letter's words
        name = _("reminder")
    letter = Letter.objects.create(
        firm=firm,
        client=client,
        purpose=Letter.Purpose.REMINDER,
        day=day,
        requested_by=by,
        to=to if to is not None else recipients_for(first),
        from_email=sender,
        reply_to=firm.email_reply_to,
        subject=subject_text[:MAX_SUBJECT],
        body=body,
        language=language,
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        pdf=letters.render(document),
        filename=f"{name}-{day.isoformat()}.pdf",
        attach_invoices=any(levels[invoice.pk].attach_invoice for invoice in invoices),
        created_at=now,
        next_attempt_at=now,
    )
    for invoice, line in zip(invoices, lines, strict=True):
        _record_item(letter, invoice, line, levels[invoice.pk], ranks, by=by, now=now)
    return letter


def _line(invoice: Invoice, day: datetime.date, *, firm, client) -> letters.Line:
    """The invoice as the letter states it on `day`: late by so many days, with the
    interest and indemnity that lateness owes."""
    days_late = (day - invoice.due_date).days
    return letters.Line(
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        total=invoice.total_gross,
        prepaid=invoice.prepaid or Decimal(0),
        balance=invoice.balance,
        days_late=days_late,
        interest=letters.interest(
            invoice.balance, firm.late_payment_penalty_rate, days_late, invoice.currency
        ),
        indemnity=letters.indemnity(firm, client, days_late),
    )


def _record_item(letter, invoice, line, level, ranks, *, by, now) -> None:
    """The letter's item for one invoice (at its level), and the invoice's event."""
    ReminderItem.objects.create(
        letter=letter,
        invoice=invoice,
        level=level,
        days_late=line.days_late,
        balance=line.balance,
        interest=line.interest,
        indemnity=line.indemnity,
    )
    record_event(
        invoice,
        InvoiceHistory.REMIND,
        by=by,
        at=now,
        details={
            "letter": letter.pk,
            "level": ranks[level.pk],
            "days": level.days,
            "balance": str(line.balance),
            "interest": str(line.interest),
            "indemnity": str(line.indemnity),
        },
    )


def _groups(invoices: list[Invoice], levels: dict[int, ReminderLevel]):
    groups: dict[tuple, list[Invoice]] = defaultdict(list)
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.pk)):
        groups[invoice.client_id, invoice.currency, levels[invoice.pk].pk].append(invoice)
    return groups.values()


def send_due_reminders(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[Letter]:
    """The worker's periodic pass over every firm: send what has come due.

    Each letter is its own transaction, so one that cannot be made (no billing
    contact, a render failure) or that another worker made first does not stop the
    others."""
    now = clock.now(now)
    today = today or timezone.localdate(now)
    sent = []
    for firm_id in (
        ReminderLevel.objects.values_list("firm_id", flat=True).distinct().order_by("firm_id")
    ):
        levels, ranks = levels_of(firm_id)
        earliest = levels[0].days
        candidates = list(
            _candidates(firm_id).filter(due_date__lte=today - datetime.timedelta(days=earliest))
        )
        covered = covered_by_credit(candidates)
        chosen: dict[int, ReminderLevel] = {}
        for invoice in candidates:
            if invoice.pk in covered:
                continue
            level = level_due(
                levels, (today - invoice.due_date).days, invoice.last_days, now_asked=False
            )
            if level is not None:
                chosen[invoice.pk] = level
        due = [invoice for invoice in candidates if invoice.pk in chosen]
        for group in _groups(due, chosen):
            if not recipients_for(group[0]):
                logger.warning("No billing contact for client %s: not reminded", group[0].client)
                continue
            try:
                letter = _issue_locked(group, chosen, ranks, today=today, now=now)
            except IntegrityError:
                # Another worker reminded one of these at this level first.
                continue
            except Exception:  # noqa: BLE001 - one letter's failure never stops the pass
                logger.exception("Reminder for client %s could not be made", group[0].client_id)
                continue
            if letter is not None:
                sent.append(letter)
    return sent


@action
def _issue_locked(group, chosen, ranks, *, today, now) -> Letter | None:
    """Lock the invoices, check again what the pass read without a lock, then issue."""
    ids = [invoice.pk for invoice in group]
    locked = {
        invoice.pk: invoice for invoice in _lock(_remindable(group[0].firm_id).filter(pk__in=ids))
    }
    fresh = [
        locked[pk]
        for pk in ids
        if pk in locked and (locked[pk].last_days is None or locked[pk].last_days < chosen[pk].days)
    ]
    if not fresh:
        return None
    return _issue(fresh, chosen, ranks, by=None, day=today, now=now)


@action
def send_reminder_now(
    invoices: Sequence[Invoice | int],
    *,
    by: User,
    subject: str | None = None,
    message: str | None = None,
    language: str | None = None,
    to: Sequence[str] | None = None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Letter:
    """A reminder for selected overdue invoices of one client, at each one's next level."""
    require_right(by)
    now = clock.now(now)
    today = today or timezone.localdate(now)
    _check_request(invoices, subject=subject, message=message, language=language)
    rows = _lock_selected(by, invoices)
    levels, ranks = levels_of(by.firm_id)
    if not levels:
        raise Invalid(
            {"invoices": [_("Set up the reminder levels first (Settings).")]},
            codes={"invoices": ["no_levels"]},
        )
    chosen = _levels_now(rows, levels, today)
    recipients = _recipients(rows[0], to)
    rows.sort(key=lambda invoice: (invoice.due_date, invoice.pk))
    return _issue(
        rows,
        chosen,
        ranks,
        by=by,
        day=today,
        now=now,
        subject=subject,
        message=message,
        language=language,
        to=recipients,
    )


def _check_request(invoices, *, subject, message, language) -> None:
    """At least one invoice; texts as typed, if any; a known language."""
    if not invoices:
        raise Invalid(
            {"invoices": [_("Select at least one invoice.")]}, codes={"invoices": ["required"]}
        )
    if subject is not None or message is not None:
        check_texts(subject or "", message or "")
    if language is not None and language not in dict(settings.LANGUAGES):
        raise Invalid(
            {"language": [_("Choose English or French.")]}, codes={"language": ["invalid_choice"]}
        )


def _lock_selected(by, invoices: Sequence[Invoice | int]) -> list[Invoice]:
    """The selected invoices the user sees, locked: all of one client and currency."""
    ids = sorted({invoice.pk if isinstance(invoice, Invoice) else invoice for invoice in invoices})
    rows = _lock(visible_invoices(by).filter(pk__in=ids).select_related("client", "firm"))
    if len(rows) != len(ids):
        raise Invalid({"invoices": [_("No such invoice.")]}, codes={"invoices": ["not_found"]})
    if len({(invoice.client_id, invoice.currency) for invoice in rows}) > 1:
        raise Invalid(
            {"invoices": [_("Select invoices of one client, in one currency.")]},
            codes={"invoices": ["several_clients"]},
        )
    return rows


def _levels_now(
    rows: list[Invoice], levels: list[ReminderLevel], today: datetime.date
) -> dict[int, ReminderLevel]:
    """Each invoice's next level, or Invalid naming each invoice that cannot be reminded."""
    blocks = reminder_blocks(rows, today=today)
    errors = [
        f"{invoice.number}: {blocks[invoice.pk].hint}" for invoice in rows if invoice.pk in blocks
    ]
    if errors:
        raise Invalid({"invoices": errors}, codes={"invoices": ["not_remindable"]})
    return {invoice.pk: level_due(levels, 0, invoice.last_days, now_asked=True) for invoice in rows}


def _recipients(first: Invoice, to: Sequence[str] | None) -> list[str]:
    """The addresses typed, checked; else the client's billing contacts."""
    recipients = list(to) if to is not None else recipients_for(first)
    if not recipients:
        raise Invalid(
            {
                "to": [
                    _("No recipient for %(client)s: add a billing contact.")
                    % {"client": first.client.name}
                ]
            },
            codes={"to": ["no_recipient"]},
        )
    if to is not None:
        recipients = clean_addresses(recipients, "to")
    return recipients
