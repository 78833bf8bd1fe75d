"""A client of an approved platform's Flow Service (AFNOR XP Z12-013, annex A, 1.1.0):
OAuth 2 client-credentials tokens, `POST /v1/flows` (multipart: flowInfo + file),
`GET /v1/flows/{flowId}`, `POST /v1/flows/search`. The transport is httpx's and can be
injected (tests give a MockTransport or point at the local platform).

Errors are PlatformError with the HTTP status and the platform's error code, so the
outbox can tell what to retry (429, 5xx, no answer) from what to give up on.
"""

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

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


class FlowService:
    def __init__(self, credentials: Credentials, *, transport: httpx.BaseTransport | None = None):
        self.credentials = credentials
        self.http = httpx.Client(timeout=TIMEOUT, transport=transport)
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    # --- tokens -----------------------------------------------------------------------

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] < time.monotonic():
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
                lifetime = float(body.get("expires_in", 300)) - 60
                self._token = (body["access_token"], time.monotonic() + max(lifetime, 1))
            return self._token[0]

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        url = self.credentials.base_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        response = self.http.request(method, url, headers=headers, **kwargs)
        if response.status_code == 401:  # revoked or expired early: one new token
            self._token = None
            headers = {"Authorization": f"Bearer {self._bearer()}"}
            response = self.http.request(method, url, headers=headers, **kwargs)
        if response.status_code >= 400:
            body = _json(response)
            raise PlatformError(
                response.status_code, body.get("errorCode", ""), body.get("errorMessage") or ""
            )
        return response

    # --- the Flow Service -------------------------------------------------------------

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
