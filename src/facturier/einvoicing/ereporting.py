"""E-reporting: what a French firm tells the tax administration, through its platform,
of the sales it does not e-invoice (to private persons) and of the money it receives
on services (whose VAT is due on receipt), period by period.

The rhythm comes from the firm's VAT regime (`RHYTHMS`). When a period has ended, the
worker's pass builds its report (frr.py) and queues it as an outbox delivery, once: the
database holds one report per firm, kind, period and version. A period with nothing to
report sends nothing. What changes in a period already reported (a payment recorded
late) is sent only when a person asks for a correction, which sends the whole period
again as version 2, 3, ... (TypeCode RE), never silently.
"""

import calendar
import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlparse

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from facturier.core import clock, money, tax
from facturier.core.actions import action
from facturier.core.errors import DomainError, NotFound
from facturier.core.identifiers import siren_of
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice, Operation
from facturier.receivables.models import Allocation

from . import frr
from .actions import installation_key
from .collected import ON_RECEIPT, split_by_rate
from .events import AuditName
from .models import EReport, Platform, VatRegime

TEN_DAYS, MONTH, TWO_MONTHS = "ten_days", "month", "two_months"
# (sales, payments) per VAT regime.
RHYTHMS = {
    VatRegime.NORMAL_MONTHLY: (TEN_DAYS, MONTH),
    VatRegime.NORMAL_QUARTERLY: (MONTH, MONTH),
    VatRegime.SIMPLIFIED: (MONTH, MONTH),
    VatRegime.FRANCHISE: (TWO_MONTHS, TWO_MONTHS),
}
EUR = "EUR"


class NothingToCorrect(DomainError):
    code = "unchanged"
    status = 409
    default_message = _("The period's report already says all this: nothing to correct.")


class NotSentYet(DomainError):
    code = "not_sent_yet"
    status = 409
    default_message = _("The period's report is not deposited yet: correct it once it is.")


class CannotReport(DomainError):
    code = "cannot_report"
    status = 409
    default_message = _(
        "E-reporting needs the firm's SIREN and the platform's registration number."
    )


def rhythm(regime: str, kind: str) -> str:
    sales, payments = RHYTHMS[VatRegime(regime)]
    return sales if kind == EReport.Kind.TRANSACTIONS else payments


def period_of(day: datetime.date, every: str) -> tuple[datetime.date, datetime.date]:
    """The period holding `day`: the 1st-10th, 11th-20th or 21st-end of a month; a
    month; or two months from January, March, May, ..."""
    last = calendar.monthrange(day.year, day.month)[1]
    if every == TEN_DAYS:
        first = min((day.day - 1) // 10, 2) * 10 + 1
        end = last if first == 21 else first + 9
        return day.replace(day=first), day.replace(day=end)
    if every == MONTH:
        return day.replace(day=1), day.replace(day=last)
    month = day.month - (day.month - 1) % 2
    second = month + 1
    return datetime.date(day.year, month, 1), datetime.date(
        day.year, second, calendar.monthrange(day.year, second)[1]
    )


def periods(since: datetime.date, until: datetime.date, every: str) -> Iterator[tuple]:
    """Every period from the one holding `since` to the one holding `until`."""
    start, end = period_of(since, every)
    while start <= until:
        yield start, end
        start, end = period_of(end + datetime.timedelta(days=1), every)


# -- what a period holds ------------------------------------------------------------------


def _private(snapshot: dict) -> bool:
    return not tax.business(snapshot["buyer"])


def _abroad_business(invoice: Invoice) -> bool:
    buyer = invoice.snapshot["buyer"]
    return tax.business(buyer) and tax.country(buyer) != "FR"


def sales(firm_id: int, start, end) -> list[frr.DaySales]:
    """Sales to private persons issued in the period, per day, category, currency and
    VAT rate; a credit note counts against its day."""
    days: dict[tuple, frr.DaySales] = {}
    issued = (
        Invoice.objects.filter(firm_id=firm_id, issue_date__gte=start, issue_date__lte=end)
        .exclude(status=InvoiceStatus.DRAFT)
        .only("issue_date", "kind", "currency", "operation", "snapshot")
        .order_by("issue_date", "pk")
    )
    for invoice in issued.iterator(chunk_size=500):
        if not _private(invoice.snapshot):
            continue
        category = frr.GOODS if invoice.operation == Operation.GOODS else frr.SERVICES
        key = (invoice.issue_date, category, invoice.currency)
        day = days.setdefault(key, frr.DaySales(*key))
        sign = -1 if invoice.kind == DocumentKind.CREDIT_NOTE else 1
        day.count += 1
        for row in invoice.snapshot["totals"]["vat_breakdown"]:
            day.add(Decimal(row["rate"]), sign * Decimal(row["base"]), sign * Decimal(row["vat"]))
    return list(days.values())


def payments(firm_id: int, start, end) -> tuple[list, list]:
    """Money received in the period on invoices of services, in euros per VAT rate: per
    invoice for businesses abroad, per day for private persons. A firm that pays VAT on
    debits reports none (its VAT was due at invoicing)."""
    invoices, days = [], {}
    received = (
        Allocation.objects.filter(
            firm_id=firm_id,
            payment__isnull=False,
            invoice__isnull=False,
            on__gte=start,
            on__lte=end,
            invoice__kind=DocumentKind.INVOICE,
            invoice__operation__in=ON_RECEIPT,
            invoice__firm__vat_on_debits=False,
        )
        .select_related("invoice")
        .order_by("on", "pk")
    )
    for allocation in received.iterator(chunk_size=500):
        invoice = allocation.invoice
        by_rate = _in_euros(invoice, allocation.amount)
        if _private(invoice.snapshot):
            day = days.setdefault(allocation.on, frr.DayPayments(allocation.on))
            for rate, amount in by_rate:
                day.add(rate, amount)
        elif _abroad_business(invoice):
            invoices.append(
                frr.InvoicePayment(invoice.number, invoice.issue_date, allocation.on, by_rate)
            )
    return invoices, list(days.values())


def _in_euros(invoice: Invoice, amount: Decimal) -> tuple[tuple[Decimal, Decimal], ...]:
    rate = invoice.exchange_rate if invoice.currency != EUR else None
    shares = split_by_rate(invoice.snapshot, amount, invoice.currency)
    return tuple(
        (Decimal(vat_rate), money.quantize(Decimal(share) * rate, EUR) if rate else Decimal(share))
        for share, vat_rate in shares
    )


# -- the reports --------------------------------------------------------------------------


def declarant(platform: Platform) -> frr.Declarant:
    """Who reports, through which platform; refused without the SIREN or the number."""
    siren = siren_of(platform.firm.siren or "")
    if not siren or len(platform.registration or "") != 4:
        raise CannotReport()
    host = urlparse(platform.base_url).hostname or platform.base_url
    return frr.Declarant(siren, platform.firm.name, platform.registration, host)


def _summary(kind: str, built: dict) -> dict:
    """What the page shows of a report: its lines, and amounts per currency."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    if kind == EReport.Kind.TRANSACTIONS:
        for day in built["days"]:
            totals[day.currency] += sum((base for base, _vat in day.by_rate.values()), Decimal(0))
        lines = sum(day.count for day in built["days"])
    else:
        for paid in built["invoices"]:
            totals[EUR] += sum((amount for _rate, amount in paid.by_rate), Decimal(0))
        for day in built["days"]:
            totals[EUR] += sum(day.by_rate.values(), Decimal(0))
        lines = len(built["invoices"]) + len(built["days"])
    return {"lines": lines, "totals": {c: str(v) for c, v in sorted(totals.items())}}


def _gather(platform: Platform, kind: str, start, end) -> dict:
    first = max(start, platform.reports_from or start)
    if kind == EReport.Kind.TRANSACTIONS:
        return {"days": sales(platform.firm_id, first, end)}
    invoices, days = payments(platform.firm_id, first, end)
    return {"invoices": invoices, "days": days}


def _content(platform, kind, start, end, built, *, report_id, at, type_code) -> bytes:
    common = {
        "report_id": report_id,
        "declarant": declarant(platform),
        "start": start,
        "end": end,
        "at": at,
        "type_code": type_code,
    }
    if kind == EReport.Kind.TRANSACTIONS:
        return frr.transactions_report(days=built["days"], **common)
    return frr.payments_report(invoices=built["invoices"], days=built["days"], **common)


def _digest(platform, kind, start, end, built) -> str:
    """What the report says, whatever its id and time: a correction must differ."""
    fixed = datetime.datetime(2000, 1, 1)
    content = _content(platform, kind, start, end, built, report_id="x", at=fixed, type_code="IN")
    return hashlib.sha256(content).hexdigest()


def _empty(built: dict) -> bool:
    return not any(built.values())


@action
def _queue_report(platform: Platform, kind: str, start, end, built: dict, **how) -> EReport | None:
    """Write one report, queued for the worker; None when another pass wrote it first."""
    version, by, reason, now = how["version"], how.get("by"), how.get("reason", ""), clock.now()
    tracking = f"er-{installation_key()}-{platform.firm_id}-{kind[0]}{start:%Y%m%d}-{version}"
    type_code = frr.INITIAL if version == 1 else frr.CORRECTION
    content = _content(
        platform, kind, start, end, built, report_id=tracking, at=now, type_code=type_code
    )
    summary = _summary(kind, built) | {"digest": _digest(platform, kind, start, end, built)}
    try:
        with transaction.atomic():
            report = EReport.objects.create(
                firm_id=platform.firm_id,
                kind=kind,
                start=start,
                end=end,
                version=version,
                content=content,
                summary=summary,
                tracking_id=tracking[:36],
                reason=reason,
                requested_by=by,
                created_at=now,
                next_attempt_at=now,
            )
    except IntegrityError:  # another worker's pass built it: one report per period
        return None
    name = AuditName.EREPORT_CORRECTED if version > 1 else AuditName.EREPORT_BUILT
    details = {"kind": kind, "start": start, "end": end, "version": version, "reason": reason}
    audit.record(name, report, by=by, firm_id=platform.firm_id, at=now, details=details)
    return report


def queue_due_reports(*, today: datetime.date | None = None) -> int:
    """The worker's pass: for each firm reporting through its platform, build and queue
    the report of every period that has ended and has none, unless it holds nothing.
    Returns how many were queued."""
    today = today or clock.now().date()
    queued = 0
    platforms = Platform.objects.select_related("firm").exclude(reports_from=None)
    for platform in platforms.exclude(registration=""):
        if (platform.firm.country or "FR").upper() != "FR" or not siren_of(platform.firm.siren):
            continue
        for kind in EReport.Kind.values:
            done = set(
                EReport.objects.filter(firm_id=platform.firm_id, kind=kind).values_list(
                    "start", flat=True
                )
            )
            every = rhythm(platform.vat_regime, kind)
            for start, end in periods(platform.reports_from, today, every):
                if end >= today or start in done:
                    continue
                built = _gather(platform, kind, start, end)
                if not _empty(built):
                    queued += (
                        _queue_report(platform, kind, start, end, built, version=1) is not None
                    )
    return queued


def latest(firm_id: int, kind: str, start: datetime.date) -> EReport | None:
    return (
        EReport.objects.filter(firm_id=firm_id, kind=kind, start=start).order_by("-version").first()
    )


@action
def correct_report(report: EReport, *, by: User, reason: str) -> EReport:
    """Send a period's report again, whole, as it stands now (TypeCode RE): the settings
    right, a reason, once the last version is deposited, and only if it changed."""
    require_settings_right(by)
    if report.firm_id != by.firm_id:
        raise NotFound()
    platform = Platform.objects.select_related("firm").get(firm_id=report.firm_id)
    last = latest(report.firm_id, report.kind, report.start)
    if last.deposited_at is None:
        raise NotSentYet()
    built = _gather(platform, report.kind, report.start, report.end)
    if _digest(platform, report.kind, report.start, report.end, built) == last.summary.get(
        "digest"
    ):
        raise NothingToCorrect()
    return _queue_report(
        platform,
        report.kind,
        report.start,
        report.end,
        built,
        version=last.version + 1,
        by=by,
        reason=reason.strip()[:500],
    )


@action
def retry_report(report: EReport, *, by: User) -> EReport:
    """Queue a failed deposit of a report again (the processing permission)."""
    from facturier.clients.permissions import lacking_processing
    from facturier.core.errors import NotAllowed
    from facturier.outbox.retrying import requeue_one

    if report.firm_id != by.firm_id:
        raise NotFound()
    if (lack := lacking_processing(by)) is not None:
        raise NotAllowed(lack)
    now = clock.now()
    requeue_one(report, now=now)
    audit.record(AuditName.EREPORT_RETRIED, report, by=by, firm_id=report.firm_id, at=now)
    return report


def overview(platform: Platform, *, today: datetime.date, count: int = 6) -> dict[str, list]:
    """The latest `count` periods of each kind, newest first: each with its report's
    latest version, or what it holds so far (a period without a report)."""
    result = {}
    for kind in EReport.Kind.values:
        every = rhythm(platform.vat_regime, kind)
        since = max(platform.reports_from, today - datetime.timedelta(days=70 * count))
        found = list(periods(since, today, every))[-count:]
        reports = {
            r.start: r
            for r in EReport.objects.filter(
                firm_id=platform.firm_id, kind=kind, start__in=[s for s, _e in found]
            ).order_by("version")
        }  # the latest version of each period stays
        rows = []
        for start, end in reversed(found):
            report = reports.get(start)
            live = None if report else _summary(kind, _gather(platform, kind, start, end))
            rows.append(
                {"start": start, "end": end, "report": report, "live": live, "ended": end < today}
            )
        result[kind] = rows
    return result


def abroad(platform: Platform, since: datetime.date):
    """The sales to businesses abroad since `since`: deposited as invoices (B2BInt),
    which the platform reports; each with where its deposit stands."""
    from .models import ProcessingRule, Transmission

    return (
        Transmission.objects.filter(
            firm_id=platform.firm_id,
            document=Transmission.Document.INVOICE,
            processing_rule=ProcessingRule.B2B_INT,
            invoice__issue_date__gte=since,
        )
        .select_related("invoice__client")
        .order_by("-invoice__issue_date", "-pk")[:50]
    )
