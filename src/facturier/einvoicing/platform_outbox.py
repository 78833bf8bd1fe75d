"""A deposit with the platform as a kind of outbox delivery: the same worker, leases,
bounded retries with backoff on 429, 5xx and no answer, and a final failure with the
platform's reason.

Never two flows for one invoice: the tracking id is fixed when the transmission is
queued, and a retry first asks the platform whether it already has a flow with it
(the first try may have landed without its answer reaching us); a platform that
answers AlreadyExistingFlow is asked for that flow too."""

import contextlib
import hashlib
from collections.abc import Iterator

import httpx
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core import tax
from facturier.core.identifiers import compact, siren_of
from facturier.invoicing.actions import pdf_for
from facturier.invoicing.documents import en16931
from facturier.outbox import engine
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from . import cdar
from .actions import (
    _service,
    record_transmission_outcome,
    retry_failed_transmissions,
    retry_transmission,
    visible_transmissions,
)
from .directory import SIREN_SCHEME, directory_of
from .flows import PlatformError
from .models import Lifecycle, Platform, Transmission


class NotConfigured(Exception):
    pass


class NotDepositedYet(Exception):
    """A payment status waits until its invoice is on the platform."""


class NotInDirectory(Exception):
    """The buyer's electronic address is not a usable line of the directory: the
    platform would route the invoice nowhere (or to a closed company)."""

    def __init__(self, address: str, usable: list[str]) -> None:
        super().__init__(address)
        self.address, self.usable = address, usable


# OAuth 2 token errors (RFC 6749, 5.2) and the client's own: the credentials, not the invoice.
TOKEN_ERRORS = {"invalid_client", "unauthorized_client", "invalid_grant", "token_refused"}


class PlatformFlows:
    name = "e-invoicing platform"
    model = Transmission
    code = "platform"
    label = gettext_lazy("E-invoicing platform")
    listed_with = ("invoice",)

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self.http_transport = transport  # tests inject one; None: the network

    def rows(self) -> QuerySet[Transmission]:
        return Transmission.objects.select_related("invoice__firm", "invoice__client")

    def visible(self, user) -> QuerySet[Transmission]:
        return visible_transmissions(user)

    def retry(self, delivery: int, *, by) -> Transmission:
        return retry_transmission(delivery, by=by)

    def retry_failed(self, *, by) -> list[Transmission]:
        return retry_failed_transmissions(by=by)

    @contextlib.contextmanager
    def transport(self) -> Iterator[None]:
        yield None  # one client per firm's platform, made by send()

    def send(self, item: Transmission, transport) -> Outcome:
        platform = Platform.objects.filter(firm_id=item.firm_id).first()
        if platform is None:
            raise NotConfigured()
        if item.document == Transmission.Document.INVOICE and item.processing_rule == "B2B":
            self._check_directory(platform, item)
        service = _service(platform, self.http_transport)
        try:
            name, content, media_type, syntax = self._file(item)
            digest = hashlib.sha256(content).hexdigest()
            if item.attempts > 1 and (found := self._existing(service, item)):
                return Outcome(DeliveryStatus.SENT, details={"flow_id": found, "sha256": digest})
            flow_info = {
                "trackingId": item.tracking_id,
                "name": name,
                "processingRule": item.processing_rule,
                "flowSyntax": syntax,
                "sha256": digest,
            }
            if syntax == "Factur-X":
                flow_info["flowProfile"] = "CIUS"
            try:
                answer = service.submit(flow_info, name, content, media_type)
            except PlatformError as exc:
                if exc.code == "AlreadyExistingFlow" and (found := self._existing(service, item)):
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

    def _check_directory(self, platform: Platform, item: Transmission) -> None:
        """Before an invoice goes, the directory (annex B) still lists its buyer's
        address as usable: the receiving platform enabled, the routing code and the
        company not closed. An address of another scheme (a foreign buyer's) is not the
        French directory's to say."""
        buyer = item.invoice.snapshot["buyer"]
        siren = siren_of(buyer.get("company_id", "")) if tax.country(buyer) == "FR" else ""
        address = en16931.electronic_address(buyer)
        if not siren or address is None or address[0] != SIREN_SCHEME:
            return
        service = directory_of(platform, self.http_transport)
        try:
            lines = service.lines(siren=siren)
        finally:
            service.close()
        usable = [line.electronic_address for line in lines if line.valid]
        if f"{address[0]}:{address[1]}" not in usable:
            raise NotInDirectory(f"{address[0]}:{address[1]}", usable)

    def _file(self, item: Transmission) -> tuple[str, bytes, str, str]:
        invoice = item.invoice
        if item.document == Transmission.Document.INVOICE:
            return f"{invoice.number}.pdf", pdf_for(invoice), "application/pdf", "Factur-X"
        deposit = invoice.transmissions.filter(document=Transmission.Document.INVOICE).first()
        if deposit is None or deposit.status != DeliveryStatus.SENT:
            raise NotDepositedYet()
        snapshot = invoice.snapshot
        seller, buyer = snapshot["seller"], snapshot["buyer"]
        currency = item.collected.get("currency") or invoice.currency
        content = cdar.build(
            message_id=item.tracking_id,
            status=cdar.StatusMessage(invoice.number, Lifecycle.PAID, timezone.now()),
            invoice_date=invoice.issue_date,
            issuer=cdar.siren_party(seller["name"], en16931.seller_siren(seller)),
            recipient=cdar.Party(
                buyer["name"], buyer_global_id(buyer), en16931.electronic_address(buyer)
            ),
            process="REGULATED" if item.processing_rule == "B2B" else "B2BINT",
            collected=[
                cdar.Collected(amount, rate, currency) for amount, rate in item.collected["by_rate"]
            ],
        )
        return f"{item.tracking_id}-212.xml", content, "application/xml", "CDAR"

    def _existing(self, service, item: Transmission) -> str | None:
        """The flow the platform holds under our tracking id, if any: only one whose
        tracking id is ours exactly, whatever else a search answers."""
        flows = service.search({"trackingId": item.tracking_id}, limit=100)
        for flow in flows:
            if flow.get("trackingId") == item.tracking_id and flow.get("flowId"):
                return str(flow["flowId"])
        return None

    def held(self, exc: BaseException) -> str | None:
        """Credentials refused (401, 403, a token refused) or the platform unreachable:
        the firm's settings, not the invoice; held until they are right."""
        if isinstance(exc, PlatformError) and (
            exc.status in (401, 403) or exc.code.lower() in TOKEN_ERRORS
        ):
            return " ".join(p for p in (str(exc.status), exc.code, exc.message) if p)
        if isinstance(exc, httpx.ConnectError):
            return str(exc) or type(exc).__name__
        return None

    def held_scope(self, item: Transmission) -> dict:
        """A platform's settings are the firm's: a wrong secret holds that firm's only."""
        return {"firm_id": item.firm_id}

    def classify(self, exc: BaseException) -> tuple[bool, str]:
        if isinstance(exc, NotConfigured):
            return False, _("The firm has no e-invoicing platform set up.")
        if isinstance(exc, NotDepositedYet):
            return True, _("The invoice is not deposited with the platform yet.")
        if isinstance(exc, NotInDirectory):
            if not exc.usable:
                return False, _(
                    "The directory lists no usable address for the buyer (%(address)s): "
                    "retry once the buyer is listed, or credit the invoice and issue it again."
                ) % {"address": exc.address}
            return False, _(
                "The buyer's address %(address)s is not usable in the directory, which lists "
                "%(usable)s: correct the client's e-invoicing address, then credit the "
                "invoice and issue it again (an issued invoice keeps its address)."
            ) % {"address": exc.address, "usable": ", ".join(exc.usable)}
        if isinstance(exc, PlatformError):
            reason = _("The platform answered %(status)s: %(message)s") % {
                "status": exc.status,
                "message": " ".join(p for p in (exc.code, exc.message) if p) or "-",
            }
            return exc.retryable, reason
        if isinstance(exc, httpx.TimeoutException):
            return True, _("The platform did not answer in time.")
        if isinstance(exc, httpx.TransportError):
            return True, _("The platform could not be reached: %(error)s") % {"error": exc}
        return True, f"{type(exc).__name__}: {exc}"

    def language(self, item: Transmission) -> str:
        return settings.LANGUAGE_CODE

    def record(self, item: Transmission, attempt: int, outcome: Outcome) -> None:
        record_transmission_outcome(item, attempt, outcome)


FLOWS = PlatformFlows()


# ISO 6523 schemes of the national company registers, by country (a SIREN is 0002).
REGISTER_SCHEMES = {"BE": "0208", "DK": "0184", "FI": "0212", "NO": "0192", "SE": "0007"}


def buyer_global_id(buyer: dict) -> tuple[str, str] | None:
    """The buyer's identifier in a status message, with its own scheme (ISO 6523): a
    French SIREN (0002), a registration number whose country's register has a scheme,
    else none (the rules let a recipient go without one)."""
    identifier, scheme = en16931.buyer_legal_id(buyer)
    if scheme:
        return scheme, identifier
    country = (buyer.get("country") or "FR").upper()
    if identifier and country in REGISTER_SCHEMES:
        return REGISTER_SCHEMES[country], compact(identifier)
    return None


def deposit(transmission_id: int, *, now=None, transport=None) -> str:
    """Try one transmission now (the worker's step, for a test); returns its status."""
    kind = PlatformFlows(transport) if transport is not None else FLOWS
    return engine.process(kind, transmission_id, now=now)
