"""A client of an approved platform's Flow Service (AFNOR XP Z12-013, annex A, 1.1.0):
OAuth 2 client-credentials tokens (kept in a shared store until they expire),
`POST /v1/flows` (multipart: flowInfo + file), `GET /v1/flows/{flowId}`,
`POST /v1/flows/search`. The transport is httpx's and can be
injected (tests give a MockTransport or point at the local platform).

Errors are PlatformError with the HTTP status and the platform's error code, so the
outbox can tell what to retry (429, 5xx, no answer) from what to give up on.
"""

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class PlatformError(Exception):
    def __init__(self, status: int, code: str = "", message: str = "") -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{status} {code} {message}".strip())

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500


@dataclass(frozen=True)
class Credentials:
    base_url: str
    token_url: str
    client_id: str
    client_secret: str


class TokenStore(Protocol):
    """Where tokens are kept between calls (Django's cache has this shape)."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any, timeout: float | None = None) -> None: ...
    def delete(self, key: str) -> Any: ...


class _InMemory:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class PlatformClient:
    """What the platform's APIs share: the account's tokens, the calls and their errors."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        transport: httpx.BaseTransport | None = None,
        tokens: TokenStore | None = None,
    ):
        self.credentials = credentials
        self.http = httpx.Client(timeout=TIMEOUT, transport=transport)
        # Shared by every client of these credentials (the worker's passes and processes
        # when given Django's cache): one token per platform account until it expires.
        self.tokens = tokens if tokens is not None else _InMemory()
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    # --- tokens -----------------------------------------------------------------------

    @property
    def _token_key(self) -> str:
        """The account's tokens, by its token address and credentials (a new secret:
        a new token)."""
        c = self.credentials
        account = "\n".join((c.token_url, c.client_id, c.client_secret)).encode()
        return "einvoicing-token:" + hashlib.sha256(account).hexdigest()

    def _bearer(self) -> str:
        with self._lock:
            kept = self.tokens.get(self._token_key)
            if kept and kept[1] > time.time():
                return kept[0]
            response = self.http.post(
                self.credentials.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.credentials.client_id, self.credentials.client_secret),
            )
            body = _json(response)
            if response.status_code != 200 or "access_token" not in body:
                raise PlatformError(
                    response.status_code if response.status_code != 200 else 502,
                    body.get("error", "TOKEN_REFUSED"),
                    body.get("error_description", "The platform refused the credentials."),
                )
            # Renewed a minute early, so a token never expires mid-request.
            lifetime = max(float(body.get("expires_in", 300)) - 60, 1)
            self.tokens.set(
                self._token_key, (body["access_token"], time.time() + lifetime), lifetime
            )
            return body["access_token"]

    def _forget_token(self) -> None:
        with self._lock:
            self.tokens.delete(self._token_key)

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        url = self.credentials.base_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        response = self.http.request(method, url, headers=headers, **kwargs)
        if response.status_code == 401:  # revoked or expired early: one new token
            self._forget_token()
            headers = {"Authorization": f"Bearer {self._bearer()}"}
            response = self.http.request(method, url, headers=headers, **kwargs)
        if response.status_code >= 400:
            body = _json(response)
            # Annex A's errors say errorCode and errorMessage; annex B's say message.
            raise PlatformError(
                response.status_code,
                body.get("errorCode", ""),
                body.get("errorMessage") or body.get("message") or "",
            )
        return response


class FlowService(PlatformClient):
    """The Flow Service (annex A): deposit a flow, read one, search them."""

    def submit(self, flow_info: dict[str, Any], filename: str, content: bytes, media_type: str):
        """POST /v1/flows: the platform's FullFlowInfo (flowId, submittedAt, ...)."""
        response = self._request(
            "POST",
            "/v1/flows",
            files={
                "flowInfo": (None, json.dumps(flow_info), "application/json"),
                "file": (filename, content, media_type),
            },
        )
        return _json(response)

    def flow(self, flow_id: str) -> dict[str, Any]:
        """GET /v1/flows/{flowId}: the flow's metadata (Flow)."""
        return _json(self._request("GET", f"/v1/flows/{flow_id}", params={"docType": "Metadata"}))

    def original(self, flow_id: str) -> bytes:
        """GET /v1/flows/{flowId}?docType=Original: the file, e.g. a lifecycle's CDAR."""
        return self._request("GET", f"/v1/flows/{flow_id}", params={"docType": "Original"}).content

    def search(self, where: dict[str, Any], *, limit: int = 100) -> list[dict[str, Any]]:
        """POST /v1/flows/search: the flows matching `where` (SearchFlowFilters)."""
        response = self._request("POST", "/v1/flows/search", json={"limit": limit, "where": where})
        return _json(response).get("results", [])


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
