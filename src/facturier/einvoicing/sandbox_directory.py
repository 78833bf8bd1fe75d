"""The local platform's Directory Service (AFNOR XP Z12-013 annex B): the search of
directory lines by SIREN and SIRET. Every valid SIREN has a line at its own level on
an enabled platform, as every company subject to VAT will (the demo clients' too);
`directory_lines` replaces a company's with others (facilities, routing codes,
suffixes, closed or disabled ones), `not_in_directory` takes one out."""

from typing import Any

from stdnum.fr import siren as fr_siren


class Directory:
    """What the sandbox's Platform answers for annex B (it keeps the state)."""

    requests: list[dict[str, Any]]
    directory_lines: dict[str, list[dict[str, Any]]]
    not_in_directory: set[str]
    directory_down: bool

    def directory_search(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /v1/directory-line/search, by SIREN and SIRET ("contains")."""
        self.requests.append({"operation": "searchDirectoryLine", "body": params})
        if self.directory_down:
            return 503, _problem(503, "The directory is not available, try again later.")
        filters = params.get("filters")
        filters = filters if isinstance(filters, dict) else {}
        wanted = {
            name: found.get("value", "") if isinstance(found := filters.get(name), dict) else ""
            for name in ("siren", "siret")
        }
        if not any(wanted.values()):
            return 400, _problem(400, "A filter on the SIREN or the SIRET is needed.")
        if any(not isinstance(v, str) or not v.isdigit() for v in wanted.values() if v):
            return 400, _problem(400, "A SIREN or SIRET is made of digits.")
        siren = wanted.get("siren") or wanted.get("siret", "")[:9]
        lines = [
            line
            for line in self._lines(siren)
            if wanted.get("siret", "") in line.get("siret", wanted.get("siret", ""))
        ]
        limit = params.get("limit")
        limit = min(limit, 100) if isinstance(limit, int) and limit > 0 else 50
        return 200, {"search": params, "totalNumberOfResults": len(lines), "results": lines[:limit]}

    def _lines(self, siren: str) -> list[dict[str, Any]]:
        if siren in self.not_in_directory or not fr_siren.is_valid(siren):
            return []
        if siren in self.directory_lines:
            return [{"siren": siren, **line} for line in self.directory_lines[siren]]
        return [directory_line(siren)]


def directory_line(
    siren: str,
    *,
    siret: str = "",
    suffix: str = "",
    routing: str = "",
    platform_status: str = "Enabled",
    closed: bool = False,
) -> dict[str, Any]:
    """A directory line as annex B answers it; its addressing identifier is the SIREN,
    then the SIRET, the routing code or the suffix, joined by underscores."""
    line: dict[str, Any] = {
        "addressingIdentifier": "_".join(p for p in (siren, siret, routing, suffix) if p),
        "siren": siren,
        "platform": {"platformType": "WK", "platformStatus": platform_status},
        "legalUnit": {"entityType": "PrivateVatRegistered", "administrativeStatus": "A"},
    }
    if siret:
        line["siret"] = siret
    if suffix:
        line["addressingSuffix"] = suffix
    if routing:
        line["routingCode"] = {
            "routingIdentifier": routing,
            "routingIdentifierType": "0224",
            "administrativeStatus": "C" if closed else "A",
        }
    elif closed:
        line["legalUnit"]["administrativeStatus"] = "C"
    return line


def _problem(status: int, message: str) -> dict[str, Any]:
    """An error as annex B writes it."""
    return {"type": "about:blank", "status": status, "message": message}
