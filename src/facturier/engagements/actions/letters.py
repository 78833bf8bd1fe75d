"""The engagement letter: templates saved in Settings, a letter made from one for the
engagement's current version, sent by e-mail through the outbox, signed (the signed
copy uploaded), active, ended with its engagement. Each step writes the audit trail's
row on the engagement, which its page reads as the letter's history."""

import datetime
import io
from collections.abc import Mapping
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import DomainError, Invalid, NotFound
from facturier.core.formatting import Formatter
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import Firm, User
from facturier.invoicing.actions import HEADER_BREAKERS, MAX_SUBJECT
from facturier.invoicing.selectors import default_template
from facturier.outbox.engine import settle
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from .. import letter_texts
from ..events import AuditName
from ..letter_models import (
    EngagementLetter,
    EngagementLetterEmail,
    LetterStatus,
    LetterTemplate,
)
from ..models import Engagement
from ..permissions import get_visible, manage_refusal
from .deposits import deposit_value

MAX_SIGNED_COPY = 10 * 2**20
NO_SUCH_LETTER = gettext_lazy("No such engagement letter.")
NO_SUCH_TEMPLATE = gettext_lazy("No such letter template.")
TEMPLATE_FIELDS = ("name", "language", "body", "general_terms")


class LetterRefused(DomainError):
    """A step the letter's status, version or engagement does not allow (409)."""

    status = 409
    code = "letter_refused"

    def __init__(self, code: str, message, **params) -> None:
        self.code = code
        super().__init__(message, **params)


# --- templates (Settings) ---------------------------------------------------------------


@action
def save_letter_template(
    template: LetterTemplate | int | None, *, by: User, fields: Mapping[str, Any]
) -> LetterTemplate:
    """A new letter template (None) or changes to one; a placeholder no letter knows is
    refused with its name (`unknown_placeholder`)."""
    require_settings_right(by)
    if template is None:
        row = LetterTemplate(firm_id=by.firm_id)
    else:
        pk = row_id(getattr(template, "pk", template))
        row = LetterTemplate.objects.filter(firm_id=by.firm_id, pk=pk).first()
        if row is None:
            raise NotFound(NO_SUCH_TEMPLATE)
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise Invalid({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    before = audit.values(row, TEMPLATE_FIELDS)
    for name, value in fields.items():
        setattr(row, name, "" if value is None else str(value))
    row.name = row.name.strip()
    try:
        row.full_clean(exclude=["firm"], validate_constraints=False)
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    letter_texts.check_body(row.body)
    taken = LetterTemplate.objects.filter(firm_id=by.firm_id, name=row.name).exclude(pk=row.pk)
    if taken.exists():
        raise Invalid(
            {"name": [_("A template named %(name)s exists already.") % {"name": row.name}]},
            codes={"name": ["duplicate"]},
        )
    row.save()
    audit.record(
        AuditName.LETTER_TEMPLATE_SAVED,
        row,
        by=by,
        firm_id=by.firm_id,
        details={"changes": audit.changes(before, audit.values(row, TEMPLATE_FIELDS))},
    )
    return row


@action
def seed_letter_templates(firm: Firm | int, *, by: User | None = None) -> list[LetterTemplate]:
    """The default templates (French and English) for a firm that has none."""
    firm_id = getattr(firm, "pk", firm)
    if by is not None:
        require_settings_right(by)
    if LetterTemplate.objects.filter(firm_id=firm_id).exists():
        return []
    made = []
    for values in letter_texts.default_templates():
        row = LetterTemplate.objects.create(firm_id=firm_id, **values)
        audit.record(
            AuditName.LETTER_TEMPLATE_SAVED,
            row,
            by=by,
            firm_id=firm_id,
            details={"seeded": True},
        )
        made.append(row)
    return made


# --- letters --------------------------------------------------------------------------


def _engagement(engagement: Engagement | int, by: User) -> Engagement:
    found = get_visible(by, getattr(engagement, "pk", engagement))
    locked = (
        Engagement.objects.select_for_update()
        .select_related("firm", "client", "responsible")
        .get(pk=found.pk)
    )
    refusal = manage_refusal(by, locked.client_id)
    if refusal is not None:
        raise refusal
    return locked


def _letter(letter: EngagementLetter | int, by: User) -> EngagementLetter:
    pk = row_id(getattr(letter, "pk", letter))
    found = (
        None
        if pk is None
        else EngagementLetter.objects.filter(firm_id=by.firm_id, pk=pk)
        .values_list("engagement_id", flat=True)
        .first()
    )
    if found is None:
        raise NotFound(NO_SUCH_LETTER)
    try:
        engagement = _engagement(found, by)
    except NotFound:
        raise NotFound(NO_SUCH_LETTER) from None
    # Read again under the engagement's lock: a draft made again meanwhile is gone.
    row = EngagementLetter.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(NO_SUCH_LETTER)
    row.engagement = engagement
    return row


def _has_ended(engagement: Engagement, today: datetime.date) -> bool:
    return engagement.end_date is not None and engagement.end_date < today


def _check_current(letter: EngagementLetter, today: datetime.date) -> None:
    if letter.status == LetterStatus.ENDED or _has_ended(letter.engagement, today):
        raise LetterRefused("engagement_ended", _("The engagement has ended."))
    if not letter.is_current:
        raise LetterRefused(
            "outdated_version",
            _(
                "This letter is for version %(old)s; the engagement is at version %(new)s: "
                "make a new letter."
            ),
            old=letter.version,
            new=letter.engagement.version,
        )


def _require_status(letter: EngagementLetter, *allowed: str) -> None:
    if letter.status not in allowed:
        raise LetterRefused(
            "invalid_transition",
            _("Not possible for a letter that is %(status)s."),
            status=letter.get_status_display(),
        )


def _record(
    name: str, letter: EngagementLetter, *, by, at, from_status="", to_status="", **details
) -> None:
    audit.record(
        name,
        letter.engagement,
        by=by,
        firm_id=letter.firm_id,
        at=at,
        from_status=from_status,
        to_status=to_status,
        details={"letter": letter.pk, "version": letter.version, **details},
    )


def _template(template: LetterTemplate | int | None, by: User) -> LetterTemplate:
    pk = row_id(getattr(template, "pk", template)) if template not in (None, "") else None
    found = None if pk is None else LetterTemplate.objects.filter(firm_id=by.firm_id, pk=pk).first()
    if found is None:
        raise Invalid({"template": [str(NO_SUCH_TEMPLATE)]}, codes={"template": ["does_not_exist"]})
    return found


@action
def create_letter(
    engagement: Engagement | int,
    *,
    by: User,
    template: LetterTemplate | int,
    now: datetime.datetime | None = None,
) -> EngagementLetter:
    """The letter of the engagement's current version, made from a template (its PDF
    made now). A draft of that version is replaced; a letter sent already is kept."""
    now = clock.now(now)
    today = timezone.localdate(now)
    engagement = _engagement(engagement, by)
    chosen = _template(template, by)
    if _has_ended(engagement, today):
        raise LetterRefused("engagement_ended", _("The engagement has ended."))
    existing = EngagementLetter.objects.filter(engagement=engagement, version=engagement.version)
    if existing.exclude(status=LetterStatus.DRAFT).exists():
        raise LetterRefused(
            "letter_exists",
            _("Version %(version)s already has its letter, sent: amend the engagement first."),
            version=engagement.version,
        )
    existing.delete()  # a draft of this version, replaced
    document = letter_texts.letter_document(
        engagement,
        body=chosen.body,
        general_terms=chosen.general_terms,
        invoice_template=default_template(engagement.firm_id),
        language=chosen.language,
        day=today,
        deposit=deposit_value(engagement),
    )
    letter = EngagementLetter.objects.create(
        firm_id=engagement.firm_id,
        engagement=engagement,
        version=engagement.version,
        template=chosen,
        language=chosen.language,
        day=today,
        pdf=letter_texts.render(document),
        created_at=now,
    )
    _record(
        AuditName.LETTER_CREATED,
        letter,
        by=by,
        at=now,
        to_status=letter.status,
        template=chosen.name,
    )
    return letter


def _recipients(engagement: Engagement) -> list[str]:
    contact = engagement.client.billing_contact
    if contact is None:
        raise Invalid(
            {
                "to": [
                    _("No recipient for %(client)s: add a billing contact.")
                    % {"client": engagement.client.name}
                ]
            },
            codes={"to": ["no_recipient"]},
        )
    return [contact.email]


def _email_texts(letter: EngagementLetter) -> tuple[str, str]:
    engagement = letter.engagement
    with translation.override(letter.language):
        subject = _("Engagement letter %(reference)s from %(firm)s") % {
            "reference": engagement.reference,
            "firm": engagement.firm.name,
        }
        body = _(
            "Hello,\n\nPlease find attached our engagement letter %(reference)s (version "
            "%(version)s). We would be grateful if you would return it to us signed.\n\n"
            "Kind regards,\n%(firm)s"
        ) % {
            "reference": engagement.reference,
            "version": letter.version,
            "firm": engagement.firm.name,
        }
    return HEADER_BREAKERS.sub(" ", subject)[:MAX_SUBJECT], body


@action
def send_letter(
    letter: EngagementLetter | int, *, by: User, now: datetime.datetime | None = None
) -> EngagementLetter:
    """E-mail the letter's PDF to the client's billing contact (through the outbox)."""
    now = clock.now(now)
    letter = _letter(letter, by)
    _check_current(letter, timezone.localdate(now))
    _require_status(letter, LetterStatus.DRAFT, LetterStatus.SENT)
    recipients = _recipients(letter.engagement)
    firm = letter.engagement.firm
    sender = firm.email_from or settings.DEFAULT_FROM_EMAIL
    subject, body = _email_texts(letter)
    EngagementLetterEmail.objects.create(
        firm_id=letter.firm_id,
        letter=letter,
        requested_by=by,
        to=recipients,
        from_email=sender,
        reply_to=firm.email_reply_to,
        subject=subject,
        body=body,
        language=letter.language,
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        created_at=now,
        next_attempt_at=now,
    )
    before = letter.status
    letter.status, letter.sent_at = LetterStatus.SENT, now
    letter.save(update_fields=["status", "sent_at"])
    _record(
        AuditName.LETTER_SENT,
        letter,
        by=by,
        at=now,
        from_status=before,
        to_status=letter.status,
        sent_to=recipients,
    )
    return letter


def signed_copy_refusal(content: bytes) -> Invalid | None:
    """A real PDF, by its content (not its name), within the size limit."""
    if not content:
        return Invalid({"file": [_("The file is empty.")]}, codes={"file": ["empty"]})
    if len(content) > MAX_SIGNED_COPY:
        return Invalid(
            {"file": [_("The file is larger than %(size)s MB.") % {"size": MAX_SIGNED_COPY >> 20}]},
            codes={"file": ["too_large"]},
        )
    not_pdf = Invalid(
        {"file": [_("The file is not a PDF document.")]}, codes={"file": ["not_a_pdf"]}
    )
    if not content.lstrip()[:5] == b"%PDF-":
        return not_pdf
    try:
        pages = len(PdfReader(io.BytesIO(content), strict=False).pages)
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, OSError):
        return not_pdf
    except RecursionError:
        return not_pdf
    return None if pages else not_pdf


def _signing_day(
    letter: EngagementLetter, signed_on: datetime.date | None, today: datetime.date
) -> datetime.date:
    """The day the client signed: not before the letter's own date, not after today."""
    signed_on = signed_on or today
    fmt = Formatter(translation.get_language() or "en", "EUR")  # for its date only
    if signed_on < letter.day:
        raise Invalid(
            {
                "signed_on": [
                    _("The letter is dated %(day)s: it cannot have been signed before.")
                    % {"day": fmt.date(letter.day)}
                ]
            },
            codes={"signed_on": ["signed_before_letter"]},
        )
    if signed_on > today:
        raise Invalid(
            {"signed_on": [_("A signature date cannot be in the future.")]},
            codes={"signed_on": ["signed_in_future"]},
        )
    return signed_on


@action
def upload_signed_copy(
    letter: EngagementLetter | int,
    *,
    by: User,
    content: bytes,
    filename: str = "",
    signed_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> EngagementLetter:
    """Signed on paper: the signed copy stored (a PDF, checked by its content)."""
    now = clock.now(now)
    letter = _letter(letter, by)
    _check_current(letter, timezone.localdate(now))
    _require_status(letter, LetterStatus.DRAFT, LetterStatus.SENT, LetterStatus.SIGNED)
    refusal = signed_copy_refusal(content)
    if refusal is not None:
        raise refusal
    before = letter.status
    letter.signed_pdf = content
    filename = "".join(ch for ch in str(filename or "") if ch.isprintable()).strip()
    letter.signed_filename = (filename or letter.filename)[-200:]
    letter.signed_on = _signing_day(letter, signed_on, timezone.localdate(now))
    letter.status = LetterStatus.SIGNED
    letter.save(update_fields=["signed_pdf", "signed_filename", "signed_on", "status"])
    _record(
        AuditName.LETTER_SIGNED,
        letter,
        by=by,
        at=now,
        from_status=before,
        to_status=letter.status,
        signed_on=letter.signed_on,
        size=len(content),
    )
    _deposit_at_signature(letter.engagement, now=now)
    return letter


def _deposit_at_signature(engagement: Engagement, *, now) -> None:
    """The deposit the engagement asks at signature, drafted once by its responsible
    member (see deposits.py), on paper or online alike. The signature never depends on
    it: a deposit that cannot be drafted is left to draft, which the engagement's page
    says beside its button."""
    from .deposits import asks_deposit, draft_deposit_of

    if not asks_deposit(engagement) or engagement.deposit_invoice_id is not None:
        return
    try:
        with transaction.atomic():
            draft_deposit_of(engagement, by=engagement.responsible, now=now)
    except DomainError:
        pass


@action
def activate_letter(
    letter: EngagementLetter | int, *, by: User, now: datetime.datetime | None = None
) -> EngagementLetter:
    """The signed letter is in force."""
    now = clock.now(now)
    letter = _letter(letter, by)
    _check_current(letter, timezone.localdate(now))
    _require_status(letter, LetterStatus.SIGNED)
    letter.status, letter.activated_at = LetterStatus.ACTIVE, now
    letter.save(update_fields=["status", "activated_at"])
    _record(
        AuditName.LETTER_ACTIVATED,
        letter,
        by=by,
        at=now,
        from_status=LetterStatus.SIGNED,
        to_status=letter.status,
    )
    return letter


def end_letters(engagement: Engagement, *, by: User, now: datetime.datetime | None = None) -> None:
    """Ending the engagement ends its letters (called by end_engagement, in its action)."""
    now = clock.now(now)
    for letter in EngagementLetter.objects.filter(engagement=engagement).exclude(
        status=LetterStatus.ENDED
    ):
        before = letter.status
        letter.status, letter.ended_at = LetterStatus.ENDED, now
        letter.save(update_fields=["status", "ended_at"])
        letter.engagement = engagement
        _record(
            AuditName.LETTER_ENDED,
            letter,
            by=by,
            at=now,
            from_status=before,
            to_status=letter.status,
        )


OUTCOME_NAMES = {
    DeliveryStatus.SENT: AuditName.LETTER_DELIVERED,
    DeliveryStatus.RETRYING: AuditName.LETTER_RETRYING,
    DeliveryStatus.FAILED: AuditName.LETTER_REFUSED,
}


@action
def record_letter_email_outcome(
    email: EngagementLetterEmail, attempt: int, outcome: Outcome
) -> bool:
    """What became of the letter's e-mail, on the engagement's history."""
    at = timezone.now()
    fields = {"refused": outcome.details.get("refused", {})}
    if outcome.status == DeliveryStatus.SENT:
        fields["sent_at"] = at
    if not settle(email, attempt, outcome, **fields):
        return False
    letter = EngagementLetter.objects.select_related("engagement").get(pk=email.letter_id)
    details: dict[str, Any] = {"to": email.to, "attempt": attempt}
    if outcome.status != DeliveryStatus.SENT:
        details["reason"] = outcome.reason
        details |= {"reasons": outcome.texts} if outcome.texts else {}
    elif fields["refused"]:
        details["refused"] = fields["refused"]
    name = OUTCOME_NAMES.get(outcome.status, AuditName.LETTER_RETRYING)
    _record(name, letter, by=None, at=at, **details)
    return True


@action
def sign_letter_online(
    letter: EngagementLetter | int,
    *,
    by: User | None = None,
    contact,
    signed_pdf: bytes,
    evidence: int,
    signer_name: str = "",
    now: datetime.datetime | None = None,
) -> EngagementLetter:
    """A contact of the engagement's client accepted the letter sent to them online
    (`evidence`: the id of the evidence kept, `signed_pdf`: the letter with its evidence
    page): it becomes signed, that day, for the version it was made for."""
    now = clock.now(now)
    pk = row_id(getattr(letter, "pk", letter))
    found = (
        None
        if pk is None
        else EngagementLetter.objects.select_for_update()
        .select_related("engagement")
        .filter(pk=pk, engagement__client_id=contact.client_id)
        .exclude(status=LetterStatus.DRAFT)
        .first()
    )
    if found is None:
        raise NotFound(NO_SUCH_LETTER)
    _check_current(found, timezone.localdate(now))
    _require_status(found, LetterStatus.SENT)
    found.signed_pdf = signed_pdf
    found.signed_filename = found.filename
    found.signed_on = timezone.localdate(now)
    found.status = LetterStatus.SIGNED
    found.save(update_fields=["signed_pdf", "signed_filename", "signed_on", "status"])
    _record(
        AuditName.LETTER_SIGNED,
        found,
        by=by,
        at=now,
        from_status=LetterStatus.SENT,
        to_status=found.status,
        signed_on=found.signed_on,
        online=True,
        contact=contact.pk,
        signer=signer_name,
        evidence=evidence,
    )
    _deposit_at_signature(found.engagement, now=now)
    return found
