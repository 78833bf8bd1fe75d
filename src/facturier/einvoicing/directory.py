"""The Directory Service of an approved platform (AFNOR XP Z12-013, annex B, 1.1.0):
where a French company receives its e-invoices. Each directory line names a SIREN,
optionally one of its facilities (SIRET) and a routing code or a suffix, with its
addressing identifier (the electronic address, scheme 0225) and whether it is usable:
the receiving platform enabled, the routing code and the company not closed.

Read with `POST /v1/directory-line/search` on the platform's directory address (its
Flow Service's, with "flow-service" read "directory-service", as annex B's servers
are laid out), with the account's token.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from facturier.core.errors import DomainError, Invalid
from facturier.core.identifiers import compact, siren_of

from .flows import Credentials, PlatformClient, PlatformError
from .models import Platform

SIREN_SCHEME = "0225"
MAX_LINES = 100


class DirectoryUnavailable(DomainError):
    """The platform's directory could not be read: not set up, refused or unreachable
    (424: the request depended on it)."""

    code = "directory_unavailable"
    status = 424
    default_message = _("The e-invoicing directory could not be read: %(reason)s")


@dataclass(frozen=True)
class DirectoryLine:
    addressing_identifier: str
    siren: str
    siret: str
    suffix: str
    routing_identifier: str
    routing_name: str
    platform_type: str  # WK: an approved platform; DFH: the public one
    platform_enabled: bool
    routing_code_active: bool
    company_active: bool

    @property
    def valid(self) -> bool:
        """Usable now: invoices sent to it are received."""
        return self.platform_enabled and self.routing_code_active and self.company_active

    @property
    def electronic_address(self) -> str:
        """As a client's e-invoicing address is written: scheme:identifier."""
        return f"{SIREN_SCHEME}:{self.addressing_identifier}"


class DirectoryService(PlatformClient):
    """The Directory Service (annex B): the directory lines of a company."""

    def lines(self, *, siren: str, siret: str = "") -> list[DirectoryLine]:
        filters: dict[str, Any] = {"siren": {"op": "contains", "value": siren}}
        if siret:
            filters["siret"] = {"op": "contains", "value": siret}
        response = self._request(
            "POST", "/v1/directory-line/search", json={"filters": filters, "limit": MAX_LINES}
        )
        try:
            results = response.json().get("results") or []
        except (ValueError, AttributeError):
            raise PlatformError(502, "", "The directory's answer is not JSON.") from None
        # "contains" may answer more: only the company (and facility) asked for.
        found = [_line(row) for row in results if isinstance(row, dict)]
        return [
            line
            for line in found
            if line.siren == siren and (not siret or line.siret in ("", siret))
        ]


def _line(row: dict[str, Any]) -> DirectoryLine:
    routing = row.get("routingCode") or {}
    platform = row.get("platform") or {}
    legal_unit = row.get("legalUnit") or {}
    return DirectoryLine(
        addressing_identifier=str(row.get("addressingIdentifier") or ""),
        siren=str(row.get("siren") or ""),
        siret=str(row.get("siret") or ""),
        suffix=str(row.get("addressingSuffix") or ""),
        routing_identifier=str(routing.get("routingIdentifier") or ""),
        routing_name=str(routing.get("routingCodeName") or ""),
        platform_type=str(platform.get("platformType") or ""),
        platform_enabled=platform.get("platformStatus", "Enabled") == "Enabled",
        routing_code_active=routing.get("administrativeStatus", "A") != "C",
        company_active=legal_unit.get("administrativeStatus", "A") != "C",
    )


def directory_url(flow_service_url: str) -> str:
    """The Directory Service's address beside the Flow Service's (annex B's layout):
    .../flow-service -> .../directory-service; the same address otherwise."""
    parts = urlsplit(flow_service_url.rstrip("/"))
    head, _slash, last = parts.path.rpartition("/")
    if last == "flow-service":
        return urlunsplit(parts._replace(path=f"{head}/directory-service"))
    return flow_service_url.rstrip("/")


def directory_of(
    platform: Platform, transport: httpx.BaseTransport | None = None
) -> DirectoryService:
    """The Directory Service of the firm's platform, with its account's token."""
    return DirectoryService(
        Credentials(
            directory_url(platform.base_url),
            platform.token_url,
            platform.client_id,
            platform.client_secret,
        ),
        transport=transport,
        tokens=cache,
    )


def lookup(
    *,
    firm_id: int,
    company_id: str,
    country: str = "FR",
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, str, list[DirectoryLine]]:
    """(SIREN, SIRET, the directory lines) of a French company id (SIREN or SIRET), read
    from the firm's platform. Called outside any transaction: it waits on the network."""
    number = compact(company_id)
    siren = siren_of(number) if (country or "FR").upper() == "FR" else ""
    if not siren:
        raise Invalid(
            {"company_id": [_("Give the client's SIREN or SIRET to look it up.")]},
            _("Only a French company can be looked up in the directory."),
            codes={"company_id": ["no_siren"]},
        )
    siret = number if len(number) == 14 else ""
    platform = Platform.objects.filter(firm_id=firm_id).first()
    if platform is None:
        raise DirectoryUnavailable(reason=_("the firm has no e-invoicing platform set up."))
    service = directory_of(platform, transport)
    try:
        return siren, siret, service.lines(siren=siren, siret=siret)
    except PlatformError as exc:
        reason = " ".join(p for p in (str(exc.status), exc.code, exc.message) if p)
        raise DirectoryUnavailable(reason=reason) from None
    except httpx.HTTPError as exc:
        raise DirectoryUnavailable(reason=str(exc) or type(exc).__name__) from None
    finally:
        service.close()
