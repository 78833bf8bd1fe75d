"""E-reporting files as outbox deliveries: the worker deposits each with the firm's
platform (annex A's POST /v1/flows, flowSyntax FRR), with the same retries, holds and
lost-answer search as invoices (platform_outbox.py)."""

import contextlib
import hashlib
from collections.abc import Iterator

import httpx
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from facturier.core.actions import action
from facturier.outbox.engine import settle
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from .actions import _service
from .flows import PlatformError
from .models import EReport, Platform
from .platform_outbox import FLOWS, NotConfigured


class ReportFlows:
    name = "e-reporting"
    model = EReport
    code = "ereporting"
    label = gettext_lazy("E-reporting")

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self.http_transport = transport

    def rows(self) -> QuerySet[EReport]:
        return EReport.objects.all()

    @contextlib.contextmanager
    def transport(self) -> Iterator[None]:
        yield None

    def send(self, item: EReport, transport) -> Outcome:
        platform = Platform.objects.filter(firm_id=item.firm_id).first()
        if platform is None:
            raise NotConfigured()
        service = _service(platform, self.http_transport)
        content = bytes(item.content)
        digest = hashlib.sha256(content).hexdigest()
        try:
            if item.attempts > 1 and (found := FLOWS._existing(service, item)):
                return Outcome(DeliveryStatus.SENT, details={"flow_id": found, "sha256": digest})
            flow_info = {
                "trackingId": item.tracking_id,
                "name": f"{item.tracking_id}.xml",
                "flowSyntax": "FRR",
                "sha256": digest,
            } | _rule(item)
            try:
                answer = service.submit(flow_info, flow_info["name"], content, "application/xml")
            except PlatformError as exc:
                if exc.code == "AlreadyExistingFlow" and (found := FLOWS._existing(service, item)):
                    return Outcome(
                        DeliveryStatus.SENT, details={"flow_id": found, "sha256": digest}
                    )
                raise
            return Outcome(
                DeliveryStatus.SENT,
                details={"flow_id": str(answer.get("flowId", "")), "sha256": digest},
            )
        finally:
            service.close()

    held = FLOWS.held
    held_scope = FLOWS.held_scope
    classify = FLOWS.classify

    def language(self, item: EReport) -> str:
        return settings.LANGUAGE_CODE

    def record(self, item: EReport, attempt: int, outcome: Outcome) -> None:
        record_report_outcome(item, attempt, outcome)


def _rule(item: EReport) -> dict:
    """The processing rule, when the file holds one kind of sale: private persons (B2C)
    or businesses abroad (B2BInt); a payments report of both says none."""
    if item.kind == EReport.Kind.TRANSACTIONS:
        return {"processingRule": "B2C"}
    content = bytes(item.content)
    invoices, days = b"<Invoice>" in content, b"<Transactions>" in content
    if invoices != days:
        return {"processingRule": "B2BInt" if invoices else "B2C"}
    return {}


@action
def record_report_outcome(item: EReport, attempt: int, outcome: Outcome) -> bool:
    fields = {}
    if outcome.status == DeliveryStatus.SENT:
        fields = {
            "flow_id": outcome.details.get("flow_id", ""),
            "sha256": outcome.details.get("sha256", ""),
            "deposited_at": timezone.now(),
        }
    return settle(item, attempt, outcome, **fields)


REPORTS = ReportFlows()
