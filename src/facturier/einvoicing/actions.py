"""Every change e-invoicing makes: the firm's platform settings, the transmissions a
finalized invoice (or a payment) asks for, their outcomes, and the lifecycle statuses
the platform reports. Outside calls happen in the worker (deliveries.py, and
collect_statuses below), never inside a transaction."""

import datetime
import functools
import logging
import secrets
from collections.abc import Mapping
from typing import Any

import httpx
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.clients.permissions import lacking_processing
from facturier.core import clock
from facturier.core.actions import action
from facturier.core.compiled_sql import CompiledQuery, Markers, ValueKind, compile_query
from facturier.core.converters import row_id
from facturier.core.errors import Invalid, NotAllowed, NotFound
from facturier.core.identifiers import siren_of
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import Firm, User
from facturier.invoicing.actions import record_event
from facturier.invoicing.events import InvoiceFinalized
from facturier.invoicing.models import Invoice
from facturier.invoicing.permissions import visible_invoices
from facturier.outbox import engine
from facturier.outbox.engine import settle
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus
from facturier.outbox.retrying import requeue_one

from . import cdar
from .events import AuditName
from .flows import Credentials, FlowService, PlatformError
from .history import InvoiceHistory
from .models import (
    EReport,
    Installation,
    Lifecycle,
    LifecycleStatus,
    Platform,
    ProcessingRule,
    Transmission,
)

logger = logging.getLogger(__name__)

PLATFORM_FIELDS = (
    "base_url",
    "token_url",
    "client_id",
    "client_secret",
    "route_b2b",
    "registration",
    "vat_regime",
    "reports_from",
)
# The account's credentials: changed only after two factors (access/stepup.py).
CREDENTIAL_FIELDS = ("base_url", "token_url", "client_id", "client_secret")


@action
def save_platform(firm: Firm, *, by: User, fields: Mapping[str, Any]) -> Platform:
    """Set the firm's platform account (the settings right); audited, the secret not."""
    require_settings_right(by)
    unknown = set(fields) - set(PLATFORM_FIELDS)
    if unknown:
        raise Invalid({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    platform = Platform.objects.filter(firm=firm).first() or Platform(firm=firm)
    public = [name for name in fields if name != "client_secret"]
    before = audit.values(platform, public)
    for name, value in fields.items():
        if name == "client_secret" and not value and platform.pk:
            continue  # left empty in the form: keep the one stored
        setattr(platform, name, value)
    try:
        platform.full_clean(exclude=["firm"])
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    platform.save()
    # New settings: what the old ones held is tried with them now, not in a minute.
    engine.resume_held(Transmission.objects.filter(firm=firm), now=clock.now())
    audit.record(
        AuditName.PLATFORM_SAVED,
        platform,
        by=by,
        firm_id=firm.pk,
        details={"changes": audit.changes(before, audit.values(platform, public))},
    )
    return platform


def processing_rule(invoice: Invoice) -> str | None:
    """How the platform handles this sale: a French business receives it (B2B), a
    business abroad is e-reported (B2BInt); sales to individuals stay out of it."""
    firm, client = invoice.firm, invoice.client
    if (firm.country or "FR").upper() != "FR":
        return None
    if (client.country or "FR").upper() == "FR":
        return ProcessingRule.B2B if siren_of(client.company_id) else None
    if client.vat_number or client.company_id:
        return ProcessingRule.B2B_INT
    return None


def installation_key() -> str:
    """This installation's key (models.Installation), minted on first use."""
    found = Installation.objects.filter(pk=1).values_list("key", flat=True).first()
    return found or _mint_installation()


@action
def _mint_installation() -> str:
    try:
        with transaction.atomic():
            return Installation.objects.create(pk=1, key=secrets.token_hex(4)).key
    except IntegrityError:  # another process minted it first
        return Installation.objects.get(pk=1).key


def tracking_id(invoice: Invoice, document: str) -> str:
    """Ours, fixed for good: the platform recognises a retried deposit by it. It names
    this installation, so no other one's flow is ever taken for ours; 36 characters at
    most (annex A) for invoice and allocation ids of up to ten digits. Those queued
    before the key ("fct-<firm>-<invoice>-<document>") keep theirs."""
    return f"fct-{installation_key()}-{invoice.pk}-{document}"[:36]


def _queue(invoice: Invoice, document: str, rule: str, *, by, at) -> Transmission | None:
    try:
        with transaction.atomic():
            return Transmission.objects.create(
                firm_id=invoice.firm_id,
                invoice=invoice,
                document=document,
                processing_rule=rule,
                tracking_id=tracking_id(invoice, document),
                requested_by=by if getattr(by, "pk", None) else None,
                created_at=at,
                next_attempt_at=at,
            )
    except IntegrityError:  # already asked for: never two flows for one document
        return None


def transmit_on_finalize(event: InvoiceFinalized) -> None:
    """In the finalizing transaction: queue the invoice's deposit when the firm sends
    its business invoices through a platform."""
    invoice = event.invoice
    if not _routing_platform(connection.vendor).rows({"firm": invoice.firm_id}):
        return
    rule = processing_rule(invoice)
    if rule is not None:
        _queue(invoice, Transmission.Document.INVOICE, rule, by=event.by, at=clock.now())


@functools.cache
def _routing_platform(vendor: str) -> CompiledQuery:
    """Whether the firm routes its business invoices through a platform: each
    finalization asks (a statement compiled once)."""
    markers = Markers()
    platform = Platform.objects.filter(
        firm_id=markers.value("firm", ValueKind.INTEGER), route_b2b=True
    )
    return compile_query(platform.values("pk")[:1], markers)


@action
def record_transmission_outcome(item: Transmission, attempt: int, outcome: Outcome) -> bool:
    """Store what attempt `attempt` came to; the invoice's history says it too."""
    at = timezone.now()
    fields: dict[str, Any] = {}
    if outcome.status == DeliveryStatus.SENT:
        fields = {
            "flow_id": outcome.details.get("flow_id", ""),
            "sha256": outcome.details.get("sha256", ""),
            "deposited_at": at,
        }
    if not settle(item, attempt, outcome, **fields):
        return False
    if outcome.status == DeliveryStatus.RETRYING:
        return True
    invoice = Invoice.objects.get(pk=item.invoice_id)
    if outcome.status == DeliveryStatus.SENT:
        details = {"flow": item.flow_id, "document": item.document, "rule": item.processing_rule}
        record_event(invoice, InvoiceHistory.PLATFORM_DEPOSITED, by=None, at=at, details=details)
    else:
        details = {"document": item.document, "reason": outcome.reason}
        details |= {"reasons": outcome.texts} if outcome.texts else {}
        record_event(invoice, InvoiceHistory.PLATFORM_FAILED, by=None, at=at, details=details)
    return True


NO_SUCH_TRANSMISSION = _("No such platform transmission.")


def visible_transmissions(user):
    """The transmissions of the invoices the user sees."""
    return Transmission.objects.filter(invoice__in=visible_invoices(user).values("pk"))


def _require_processing(by) -> None:
    lack = lacking_processing(by)
    if lack is not None:
        raise NotAllowed(lack)


@action
def retry_transmission(
    transmission: Transmission | int, *, by: User, now: datetime.datetime | None = None
) -> Transmission:
    """Queue a failed deposit or status again (the processing permission); refused for
    one deposited or under way (409). Its tracking id is kept: the platform is asked
    first whether an earlier try landed."""
    now = clock.now(now)
    pk = row_id(transmission.pk if isinstance(transmission, Transmission) else transmission)
    found = None if pk is None else visible_transmissions(by).filter(pk=pk).first()
    if found is None:  # what one cannot see, one hears nothing of
        raise NotFound(NO_SUCH_TRANSMISSION)
    _require_processing(by)
    requeue_one(found, now=now)
    _record_retries([found], by=by, now=now)
    return found


@action
def retry_failed_transmissions(
    *, by: User, now: datetime.datetime | None = None
) -> list[Transmission]:
    """Queue again every failed transmission of the invoices the user sees."""
    _require_processing(by)
    now = clock.now(now)
    failed = visible_transmissions(by).filter(status=DeliveryStatus.FAILED)
    found = list(failed.select_for_update(of=("self",)).order_by("pk"))
    engine.requeue(Transmission.objects.filter(pk__in=[t.pk for t in found]), now=now)
    _record_retries(found, by=by, now=now)
    return found


def _record_retries(transmissions: list[Transmission], *, by, now) -> None:
    invoices = Invoice.objects.in_bulk({t.invoice_id for t in transmissions})
    for item in transmissions:
        details = {"transmission": item.pk, "document": item.document}
        audit.record(
            AuditName.TRANSMISSION_RETRIED,
            item,
            by=by,
            firm_id=item.firm_id,
            at=now,
            details={**details, "invoice": item.invoice_id},
        )
        record_event(
            invoices[item.invoice_id],
            InvoiceHistory.PLATFORM_REQUEUED,
            by=by,
            at=now,
            details=details,
        )


@action
def record_status(
    transmission: Transmission, status: cdar.StatusMessage, *, source_flow: str
) -> bool:
    """Store one lifecycle status (once, however often the platform reports it);
    returns whether it was new."""
    if status.code not in Lifecycle.values:
        logger.warning("unknown lifecycle status %s for %s", status.code, transmission)
        return False
    try:
        with transaction.atomic():
            LifecycleStatus.objects.create(
                transmission=transmission,
                code=status.code,
                at=status.at,
                reason=status.reason[:2000],
                source_flow=source_flow,
            )
    except IntegrityError:
        return False
    latest = transmission.statuses.order_by("-at", "-id").first()
    Transmission.objects.filter(pk=transmission.pk).update(
        last_status=latest.code, last_status_at=latest.at
    )
    record_event(
        transmission.invoice,
        InvoiceHistory.PLATFORM_STATUS,
        by=None,
        at=timezone.now(),
        details={
            "status": status.code,
            "label": str(Lifecycle(status.code).label),
            "reason": status.reason,
        },
    )
    return True


def _service(platform: Platform, transport=None) -> FlowService:
    """A client of the firm's platform; its tokens live in the cache every process
    shares, so one serves every call until it expires."""
    return FlowService(
        Credentials(
            platform.base_url, platform.token_url, platform.client_id, platform.client_secret
        ),
        transport=transport,
        tokens=cache,
    )


def collect_statuses(*, transport=None) -> int:
    """The worker's periodic pass: for each firm with a platform, read the flows updated
    since the last pass (lifecycle messages, and the acknowledgement of our deposits),
    store the new statuses. Returns how many statuses were new."""
    new = 0
    for platform in Platform.objects.select_related("firm"):
        try:
            new += read_platform(platform, transport)
        except (PlatformError, httpx.HTTPError, OSError, cdar.Unreadable) as exc:
            logger.warning("statuses of %s not read: %s", platform.firm, exc)
    return new


def read_platform(platform: Platform, transport=None) -> int:
    """One firm's part of the pass (also run alone when its platform calls back): only
    the transmissions the flows read name are looked up, so the pass costs what the
    platform reports, not the firm's history."""
    service = _service(platform, transport)
    try:
        since = platform.statuses_until or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
        flows = service.search({"updatedAfter": since.isoformat().replace("+00:00", "Z")})
        deposits = [f for f in flows if f.get("flowType") == "CustomerInvoice"]
        ours = {
            t.flow_id: t
            for t in Transmission.objects.filter(
                firm=platform.firm, flow_id__in=[f.get("flowId") for f in deposits]
            ).select_related("invoice")
        }
        found: list[tuple[Transmission, cdar.StatusMessage, str]] = []
        for flow in deposits:
            if (own := ours.get(flow.get("flowId"))) and (status := _acknowledged(own, flow)):
                found.append((own, status, flow["flowId"]))
        lifecycle = [
            (status, flow["flowId"])
            for flow in flows
            if flow.get("flowType") == "CustomerInvoiceLC" and flow.get("flowDirection") == "In"
            for status in cdar.parse(service.original(flow["flowId"]))
        ]
        by_number = {
            t.invoice.number: t
            for t in Transmission.objects.filter(
                firm=platform.firm,
                document=Transmission.Document.INVOICE,
                invoice__number__in={status.invoice_number for status, _flow in lifecycle},
            ).select_related("invoice")
        }
        found += [
            (by_number[status.invoice_number], status, flow_id)
            for status, flow_id in lifecycle
            if status.invoice_number in by_number
        ]
        new = sum(record_status(t, status, source_flow=flow_id) for t, status, flow_id in found)
        new += record_report_answers(platform, flows)
        times = [_parse_time(f.get("updatedAt")) for f in flows]
        _read_until(platform, max([since, *(t for t in times if t)]))
    finally:
        service.close()
    return new


@action
def record_report_answers(platform: Platform, flows: list[dict[str, Any]]) -> int:
    """What the platform answered to our e-reporting files: accepted, or rejected with
    its reasons. Returns how many answers were new."""
    answers = {
        f.get("flowId"): f.get("acknowledgement") or {}
        for f in flows
        if (f.get("acknowledgement") or {}).get("status") in ("Ok", "Error")
    }
    reports = EReport.objects.filter(firm=platform.firm, flow_id__in=list(answers), answer="")
    new = 0
    for report in reports:
        ack = answers[report.flow_id]
        reasons = "; ".join(
            d.get("reasonMessage") or d.get("reasonCode", "") for d in ack.get("details") or []
        )
        new += EReport.objects.filter(pk=report.pk, answer="").update(
            answer=ack["status"], answer_reasons=reasons[:2000]
        )
    return new


def _acknowledged(own: Transmission, flow: dict[str, Any]) -> cdar.StatusMessage | None:
    """What the platform's acknowledgement of our deposit says: Déposée, or Rejetée
    with its reasons; nothing while it is pending."""
    ack = flow.get("acknowledgement") or {}
    if ack.get("status") == "Error":
        reasons = "; ".join(
            d.get("reasonMessage") or d.get("reasonCode", "") for d in ack.get("details") or []
        )
        at = _parse_time(flow.get("updatedAt"), to_the_second=True) or timezone.now()
        return cdar.StatusMessage(own.invoice.number, Lifecycle.REJECTED, at, reasons)
    if ack.get("status") == "Ok":
        at = _parse_time(flow.get("submittedAt"), to_the_second=True) or timezone.now()
        return cdar.StatusMessage(own.invoice.number, Lifecycle.DEPOSITED, at)
    return None


@action
def _read_until(platform: Platform, newest: datetime.datetime) -> None:
    """Where the next pass's search starts: after the newest flow read."""
    Platform.objects.filter(pk=platform.pk).update(statuses_until=newest)


def _parse_time(text: str | None, *, to_the_second: bool = False) -> datetime.datetime | None:
    """A platform time; to the second for a status, as lifecycle messages date them."""
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    return value.replace(microsecond=0) if to_the_second else value
