"""Invoice PDFs: a snapshot laid out by Typst. Pure: the same snapshot gives the same
bytes; storing them is invoicing.actions.pdfs' business."""

import base64
import datetime
from typing import Any

from .cii import FACTURX_FILENAME, build_cii
from .epc import epc_svg
from .facturx import add_facturx_xmp
from .layout import FONTS, build_document
from .renderer import HERE, RenderFailed, get_renderer

__all__ = [
    "RenderFailed",
    "check_printable",
    "layout_input",
    "render_preview_png",
    "render_snapshot",
]


def layout_input(
    snapshot: dict[str, Any], *, draft: bool, facturx: bool = False, epc_qr: bool = False
) -> dict[str, Any]:
    """What the layout reads: the invoice, formatted, with its logo's path (the EPC QR
    code, when `epc_qr`, is an input file of its own: see render_snapshot)."""
    template = snapshot["template"]
    logo_path = None
    if template.get("logo"):
        logo_path = get_renderer().logo_path(
            base64.b64decode(template["logo"]), template.get("logo_content_type", "")
        )
    return build_document(
        snapshot, draft=draft, logo_path=logo_path, facturx=facturx, epc_qr=epc_qr
    )


def render_snapshot(
    snapshot: dict[str, Any], *, draft: bool = False, timestamp: datetime.datetime | None = None
) -> bytes:
    """The invoice's PDF; a finalized e-invoice is a Factur-X PDF/A-3b."""
    facturx = not draft and snapshot.get("einvoice", False)
    # A draft is not paid: it has no number, so no reference to quote.
    qr = None if draft else epc_svg(snapshot)
    pdf = get_renderer().render(
        layout_input(snapshot, draft=draft, facturx=facturx, epc_qr=qr is not None),
        facturx_xml=build_cii(snapshot) if facturx else None,
        epc_qr_svg=qr,
        timestamp=timestamp.timestamp() if timestamp else None,
        pdf_standards=["a-3b"] if facturx else None,
    )
    return add_facturx_xmp(pdf, filename=FACTURX_FILENAME) if facturx else pdf


def render_preview_png(snapshot: dict[str, Any], *, ppi: float = 60) -> bytes:
    """Page 1 as PNG: the template editor's live preview."""
    qr = epc_svg(snapshot)
    pages = get_renderer().render(
        layout_input(snapshot, draft=False, epc_qr=qr is not None),
        epc_qr_svg=qr,
        fmt="png",
        ppi=ppi,
    )
    return pages[0] if isinstance(pages, list) else pages


GLYPHS = HERE / "glyphs.typ"


def _characters(value, found: set[str]) -> None:
    if isinstance(value, str):
        found.update(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "logo":  # an image, not text
                _characters(item, found)
    elif isinstance(value, list):
        for item in value:
            _characters(item, found)


# Per font, the characters a render has proven printable: a firm's invoices use the
# same few dozen, so after the first finalizations the proof is a set comparison.
_proven: dict[str, set[str]] = {}


def check_printable(snapshot: dict[str, Any]) -> None:
    """Raise RenderFailed if some character of the snapshot has no glyph in the fonts
    the PDF/A would embed: a few milliseconds, so finalization can prove the PDF can
    be made before it takes a number that would otherwise name an invoice nobody can
    print. Characters proven once (with this font) are not proven again."""
    found: set[str] = set()
    _characters(snapshot, found)
    characters = {c for c in found if c.isprintable() and not c.isspace()}
    font = FONTS.get(snapshot.get("template", {}).get("font"), "Inter")
    proven = _proven.setdefault(font, set())
    if characters <= proven:
        return
    text = "".join(sorted(characters))
    get_renderer(GLYPHS).render({"text": text, "font": font}, pdf_standards=["a-3b"])
    proven.update(characters)
