"""A local approved platform, for development and tests: a real HTTP server with the
Flow Service's endpoints (AFNOR XP Z12-013 annex A: token, POST /v1/flows,
POST /v1/flows/search, GET /v1/flows/{flowId}, GET /v1/healthcheck), the Directory
Service's search of directory lines (annex B: every valid SIREN is listed, the demo
clients' too, unless told otherwise), and that also plays
the buyer's side, moving each invoice it accepted through Reçue, Prise en charge and
Approuvée (or Refusée), one step every `step` seconds, as lifecycle (CDAR) flows.

What it answers can be scripted (`script()`): "accept", "reject:<reason>" (the flow
is taken, then acknowledged in error), "503", "429", "500", "slow:<seconds>",
"lose" (accepted, but the connection drops before the answer). A second deposit
with a tracking id it has is answered 422 AlreadyExistingFlow; a lifecycle message
that breaks the CDAR schema is acknowledged in error. Given a webhook address,
it calls it (annex A's WebhookCallback) whenever a flow is taken or a status comes, and
plays the buyer's steps as they come due rather than when it is next searched. It keeps
everything in memory. `manage.py platform_sandbox` runs one; `make run` starts it beside the app.
"""

import base64
import datetime
import email.parser
import email.policy
import hashlib
import io
import json
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from facturx import get_xml_from_pdf
from lxml import etree

from . import cdar, frr
from .sandbox_directory import Directory

CLIENT_ID, CLIENT_SECRET = "sandbox", "sandbox-secret"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _iso(value: datetime.datetime) -> str:
    return value.isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Flow:
    flow_id: str
    info: dict[str, Any]
    content: bytes
    flow_type: str
    direction: str
    submitted_at: datetime.datetime
    updated_at: datetime.datetime
    ack: dict[str, Any] = field(default_factory=lambda: {"status": "Pending"})
    # The buyer's side, for an invoice: the steps still to come, each (code, reason).
    steps: list[tuple[str, str]] = field(default_factory=list)
    next_step_at: datetime.datetime | None = None
    invoice: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {
            "flowId": self.flow_id,
            "trackingId": self.info.get("trackingId"),
            "submittedAt": _iso(self.submitted_at),
            "updatedAt": _iso(self.updated_at),
            "flowType": self.flow_type,
            "flowDirection": self.direction,
            "flowSyntax": self.info.get("flowSyntax"),
            "processingRule": self.info.get("processingRule", "B2B"),
            "processingRuleSource": "Input" if self.info.get("processingRule") else "Computed",
            "acknowledgement": self.ack,
        }


class Platform(Directory):
    """The sandbox's state and rules; the HTTP handler below only speaks for it."""

    def __init__(
        self,
        *,
        step: float = 5.0,
        buyer: str = "approve",
        token_lifetime: int = 3600,
        webhook: str | None = None,
    ) -> None:
        self.step = step
        self.webhook = webhook  # the address it calls when a flow changes
        self.calls: queue.Queue[dict[str, Any]] = queue.Queue()
        self.calls_made: list[tuple[int, dict[str, Any]]] = []  # (HTTP status, body)
        self.stopped = threading.Event()  # ends the webhook's threads
        self.buyer = buyer  # "approve" or "refuse:<reason>", for invoices to come
        self.flows: dict[str, Flow] = {}
        self.tokens: set[str] = set()
        self.token_lifetime = token_lifetime
        self.directory_lines: dict[str, list[dict[str, Any]]] = {}
        self.not_in_directory: set[str] = set()
        self.directory_down = False  # the Directory Service answers 503 while set
        self.tokens_issued = 0
        self.api_calls = 0  # authorized calls of the Flow Service, for tests
        self.answers: list[str] = []
        self.requests: list[dict[str, Any]] = []  # what was asked, for tests
        self.lock = threading.Lock()

    def _pause(self) -> datetime.timedelta:
        # A millisecond at least, so each status is dated after the one before it.
        return datetime.timedelta(seconds=self.step, milliseconds=1)

    def script(self, *answers: str) -> None:
        with self.lock:
            self.answers.extend(answers)

    def _next_answer(self) -> str:
        with self.lock:
            return self.answers.pop(0) if self.answers else "accept"

    def deposits(self) -> list[Flow]:
        return [f for f in self.flows.values() if f.direction == "Out"]

    # --- the buyer's side -------------------------------------------------------------

    def advance(self, *, until: datetime.datetime | None = None) -> None:
        """Play the buyer's steps that are due (all of them with step 0)."""
        until = until or _now()
        with self.lock:
            for flow in list(self.flows.values()):
                while flow.steps and flow.next_step_at and flow.next_step_at <= until:
                    code, reason = flow.steps.pop(0)
                    self._call_back(self._status(flow, code, reason, flow.next_step_at))
                    flow.next_step_at = flow.next_step_at + self._pause()

    def _call_back(self, flow: Flow) -> None:
        """Call the webhook about `flow` (from the caller thread, in order)."""
        if self.webhook:
            self.calls.put({"flowInfo": flow.metadata()})

    def listen(self, webhook: str) -> None:
        """From now on, call `webhook` when a flow changes, and play the buyer's steps
        as they come due."""
        self.webhook = webhook
        threading.Thread(target=self.call_webhook, daemon=True).start()
        threading.Thread(target=self.tick, daemon=True).start()

    def call_webhook(self) -> None:
        """The caller thread: each call POSTed in turn, its answer kept for tests."""
        while not self.stopped.is_set():
            try:
                body = self.calls.get(timeout=0.2)
            except queue.Empty:
                continue
            request = urllib.request.Request(
                self.webhook,
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = 0
            with self.lock:
                self.calls_made.append((status, body))

    def tick(self) -> None:
        """Play the buyer's steps as they come due (only when a webhook listens)."""
        while not self.stopped.wait(min(self.step, 1.0) or 0.05):
            self.advance()

    def _status(self, invoice_flow: Flow, code: str, reason: str, at: datetime.datetime) -> Flow:
        content = cdar.build(
            message_id=uuid.uuid4().hex[:20],
            status=cdar.StatusMessage(invoice_flow.invoice["number"], code, at, reason),
            invoice_date=datetime.date.fromisoformat(invoice_flow.invoice["date"]),
            issuer=cdar.Party(invoice_flow.invoice["buyer"], invoice_flow.invoice["buyer_id"]),
            recipient=cdar.siren_party(
                invoice_flow.invoice["seller"],
                invoice_flow.invoice["seller_siren"],
                ("0225", invoice_flow.invoice["seller_siren"]),
            ),
            issuer_role="BY",
            recipient_role="SE",
            process="REGULATED"
            if invoice_flow.info.get("processingRule", "B2B") == "B2B"
            else "B2BINT",
        )
        flow_id = uuid.uuid4().hex
        self.flows[flow_id] = Flow(
            flow_id=flow_id,
            info={"flowSyntax": "CDAR", "processingRule": "B2B"},
            content=content,
            flow_type="CustomerInvoiceLC",
            direction="In",
            submitted_at=at,
            updated_at=max(at, _now()),
            ack={"status": "Ok"},
        )
        return self.flows[flow_id]

    # --- the Flow Service -------------------------------------------------------------

    def token(self, client_id: str, secret: str) -> tuple[int, dict[str, Any]]:
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client", "error_description": "Unknown client."}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.tokens_issued += 1
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
        }

    def submit(self, info: dict[str, Any], content: bytes) -> tuple[int, dict[str, Any]]:
        self.requests.append({"operation": "createFlow", "flowInfo": info})
        answer = self._next_answer()
        if answer in ("503", "429", "500"):
            return int(answer), {"errorCode": "RESOURCE_ERROR", "errorMessage": "Try again later."}
        if answer.startswith("slow:"):
            time.sleep(float(answer[5:]))
        if info.get("flowSyntax") not in ("CII", "UBL", "Factur-X", "CDAR", "FRR"):
            return 400, {"errorCode": "MISSING_REQUIRED_FIELD", "errorMessage": "flowSyntax"}
        if not content:
            return 422, {"errorCode": "EmptyFlow", "errorMessage": "The file is empty."}
        if info.get("sha256") and info["sha256"] != hashlib.sha256(content).hexdigest():
            return 422, {"errorCode": "ChecksumMismatch", "errorMessage": "sha256 differs."}
        with self.lock:
            tracking = info.get("trackingId")
            if tracking and any(f.info.get("trackingId") == tracking for f in self.flows.values()):
                return 422, {
                    "errorCode": "AlreadyExistingFlow",
                    "errorMessage": f"A flow with tracking id {tracking} exists.",
                }
            now = _now()
            flow = Flow(
                flow_id=uuid.uuid4().hex,
                info=info,
                content=content,
                flow_type=_flow_type(info["flowSyntax"], content),
                direction="Out",
                submitted_at=now,
                updated_at=now,
                ack={"status": "Ok"},
            )
            self._take(flow, answer)
            self.flows[flow.flow_id] = flow
            self._call_back(flow)
        body = {"flowId": flow.flow_id, "submittedAt": _iso(flow.submitted_at), **info}
        if answer == "lose":
            return -1, body
        return 202, body

    def _take(self, flow: Flow, answer: str) -> None:
        """What becomes of a flow once taken: refused as scripted, refused for a lifecycle
        message off the CDAR schema, or an invoice the buyer's side will answer."""
        if answer.startswith("reject:"):
            flow.ack = _error("BT-49", "InvoiceLCRuleError", answer[7:])
        elif flow.flow_type == "CustomerInvoiceLC" and (errors := cdar.schema_errors(flow.content)):
            flow.ack = _error("CDAR", "InvalidSchema", "; ".join(errors)[:1000])
        elif flow.info["flowSyntax"] == "FRR" and (errors := frr.schema_errors(flow.content)):
            flow.ack = _error("FRR", "InvalidSchema", "; ".join(errors)[:1000])
        elif (
            flow.flow_type == "CustomerInvoice" and flow.info.get("processingRule", "B2B") == "B2B"
        ):
            flow.invoice = _invoice_of(flow.content, flow.info["flowSyntax"])
            refuse = self.buyer.startswith("refuse:")
            flow.steps = [("202", ""), ("204", "")] + (
                [("210", self.buyer[7:])] if refuse else [("205", "")]
            )
            flow.next_step_at = flow.submitted_at + self._pause()

    def search(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        where = params.get("where")
        if not isinstance(where, dict) or not where:
            return 400, {"errorCode": "MISSING_REQUIRED_FIELD", "errorMessage": "where"}
        self.advance()
        after = where.get("updatedAfter")
        after = datetime.datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        limit = min(int(params.get("limit") or 25), 100)
        with self.lock:
            found = sorted(self.flows.values(), key=lambda f: f.updated_at)
        found = [
            f
            for f in found
            if (after is None or f.updated_at > after)
            and (not where.get("trackingId") or f.info.get("trackingId") == where["trackingId"])
            and (not where.get("flowType") or f.flow_type in where["flowType"])
        ]
        return 200, {
            "limit": limit,
            "filters": where,
            "results": [f.metadata() for f in found[:limit]],
        }

    def get(self, flow_id: str, doc_type: str) -> tuple[int, Any]:
        flow = self.flows.get(flow_id)
        if flow is None:
            return 404, {"errorCode": "MISSING_RESOURCE", "errorMessage": "No such flow."}
        if doc_type == "Original":
            return 200, flow.content
        return 200, flow.metadata()


def _flow_type(syntax: str, content: bytes) -> str:
    """What annex A calls a flow of this syntax (for a report: what it holds)."""
    if syntax == "CDAR":
        return "CustomerInvoiceLC"
    if syntax != "FRR":
        return "CustomerInvoice"
    if b"<TransactionsReport>" in content:
        return "AggregatedCustomerTransactionReport"
    if b"<Invoice>" in content and b"<Transactions>" in content:
        return "MultiFlowReport"
    if b"<Invoice>" in content:
        return "UnitaryCustomerPaymentReport"
    return "AggregatedCustomerPaymentReport"


def _error(item: str, code: str, message: str) -> dict[str, Any]:
    """An acknowledgement in error (annex A's Acknowledgement)."""
    details = [{"level": "Error", "item": item, "reasonCode": code, "reasonMessage": message}]
    return {"status": "Error", "details": details}


def _invoice_of(content: bytes, syntax: str) -> dict[str, Any]:
    """The invoice's number, date and parties, read from its CII (alone or in a PDF)."""
    xml = content
    if syntax == "Factur-X":
        _name, xml = get_xml_from_pdf(io.BytesIO(content), check_xsd=False)
    tree = etree.fromstring(xml)
    ns = {"ram": RAM}
    date = tree.findtext(".//ram:IssueDateTime/*", namespaces=ns) or "20000101"
    legal = "ram:SpecifiedLegalOrganization/ram:ID"
    buyer_id = tree.find(f".//ram:BuyerTradeParty/{legal}", namespaces=ns)
    return {
        "number": tree.findtext("{*}ExchangedDocument/{*}ID") or "",
        "date": f"{date[:4]}-{date[4:6]}-{date[6:8]}",
        "seller": tree.findtext(".//ram:SellerTradeParty/ram:Name", namespaces=ns) or "",
        "buyer": tree.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=ns) or "",
        "seller_siren": tree.findtext(f".//ram:SellerTradeParty/{legal}", namespaces=ns) or "",
        # The buyer's id with its own scheme; none when the invoice gives it no scheme.
        "buyer_id": (buyer_id.get("schemeID"), buyer_id.text)
        if buyer_id is not None and buyer_id.get("schemeID") and buyer_id.text
        else None,
    }


class Handler(BaseHTTPRequestHandler):
    platform: Platform  # set by serve()
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: tests and make run read their own logs
        pass

    def _send(self, status: int, body: Any) -> None:
        if status == -1:  # "lose": the deposit is kept, the answer never arrives
            self.close_connection = True
            self.connection.close()
            return
        if isinstance(body, bytes):
            data, kind = body, "application/octet-stream"
        else:
            data, kind = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[7:] in self.platform.tokens:
            with self.platform.lock:
                self.platform.api_calls += 1
            return True
        self._send(401, {"errorCode": "MISSING_TOKEN", "errorMessage": None})
        return False

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/v1/healthcheck":
            return self._send(200, {})
        if not url.path.startswith("/v1/flows/") or not self._authorized():
            return None if url.path.startswith("/v1/flows/") else self._send(404, {})
        doc_type = parse_qs(url.query).get("docType", ["Metadata"])[0]
        return self._send(*self.platform.get(url.path.rsplit("/", 1)[1], doc_type))

    def do_POST(self) -> None:
        url = urlparse(self.path)
        body = self._body()
        if url.path == "/oauth/token":
            client_id = secret = ""
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            return self._send(*self.platform.token(client_id, secret))
        if url.path not in ("/v1/flows", "/v1/flows/search", "/v1/directory-line/search"):
            return self._send(404, {"errorCode": "MISSING_RESOURCE", "errorMessage": url.path})
        if not self._authorized():
            return None
        if url.path in ("/v1/flows/search", "/v1/directory-line/search"):
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                return self._send(400, {"errorCode": "INVALID_JSON", "errorMessage": None})
            search = (
                self.platform.search
                if url.path == "/v1/flows/search"
                else self.platform.directory_search
            )
            return self._send(*search(params if isinstance(params, dict) else {}))
        parts = _multipart(self.headers.get("Content-Type", ""), body)
        try:
            info = json.loads(parts.get("flowInfo", b"{}"))
        except ValueError:
            info = None
        if not isinstance(info, dict) or "file" not in parts:
            return self._send(
                400, {"errorCode": "MISSING_REQUIRED_FIELD", "errorMessage": "flowInfo, file"}
            )
        return self._send(*self.platform.submit(info, parts["file"]))


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if name:
            parts[name] = part.get_payload(decode=True) or b""
    return parts


def serve(
    host: str = "127.0.0.1", port: int = 8555, **options
) -> tuple[ThreadingHTTPServer, Platform]:
    """A running sandbox (in a thread); stop it with server.shutdown() (which also ends
    the threads that call its webhook)."""
    platform = Platform(**options)
    handler = type("SandboxHandler", (Handler,), {"platform": platform})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    shutdown = server.shutdown

    def stop() -> None:
        platform.stopped.set()
        shutdown()

    server.shutdown = stop
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if platform.webhook:
        platform.listen(platform.webhook)
    return server, platform
