"""Invoice PDFs: the snapshot of a finalized invoice, laid out by Typst.

render_snapshot() is pure (same snapshot, same bytes); pdf_for() returns a
finalized invoice's stored PDF, rendering and storing it the first time.
"""

import base64
import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from facturier.invoicing.models import Invoice, InvoicePdf
from facturier.invoicing.snapshots import build_snapshot

from ..einvoice import FACTURX_FILENAME, build_cii
from ..einvoice.facturx import add_facturx_xmp
from .document import build_document
from .renderer import RenderFailed, get_renderer

__all__ = [
    "RenderFailed",
    "draft_preview",
    "layout_input",
    "pdf_for",
    "render_preview_png",
    "render_snapshot",
    "store_pdf",
]


def layout_input(snapshot: dict[str, Any], *, draft: bool, facturx: bool = False) -> dict[str, Any]:
    """What the layout reads: the invoice, formatted, with its logo's path."""
    template = snapshot["template"]
    logo_path = None
    if template.get("logo"):
        logo_path = get_renderer().logo_path(
            base64.b64decode(template["logo"]), template.get("logo_content_type", "")
        )
    return build_document(snapshot, draft=draft, logo_path=logo_path, facturx=facturx)


def render_snapshot(
    snapshot: dict[str, Any], *, draft: bool = False, timestamp: datetime.datetime | None = None
) -> bytes:
    """The invoice's PDF; a finalized e-invoice is a Factur-X PDF/A-3b."""
    facturx = not draft and snapshot.get("einvoice", False)
    pdf = get_renderer().render(
        layout_input(snapshot, draft=draft, facturx=facturx),
        facturx_xml=build_cii(snapshot) if facturx else None,
        timestamp=timestamp.timestamp() if timestamp else None,
        pdf_standards=["a-3b"] if facturx else None,
    )
    return add_facturx_xmp(pdf, filename=FACTURX_FILENAME) if facturx else pdf


def render_preview_png(snapshot: dict[str, Any], *, ppi: float = 60) -> bytes:
    """Page 1 as PNG: the template editor's live preview."""
    pages = get_renderer().render(layout_input(snapshot, draft=False), fmt="png", ppi=ppi)
    return pages[0] if isinstance(pages, list) else pages


def draft_preview(invoice: Invoice) -> bytes:
    """A draft's PDF: watermarked, never a number, not stored."""
    snapshot = build_snapshot(invoice, invoice.template or _default_template(invoice))
    return render_snapshot(snapshot, draft=True, timestamp=timezone.now())


def _default_template(invoice: Invoice):
    return invoice.firm.invoice_templates.filter(is_default=True, archived_at=None).first()


def pdf_for(invoice: Invoice) -> bytes:
    """The frozen PDF of a finalized invoice: the same bytes every time."""
    if invoice.is_draft:
        return draft_preview(invoice)
    stored = InvoicePdf.objects.filter(invoice_id=invoice.pk).values_list("pdf", flat=True).first()
    if stored is not None:
        return bytes(stored)
    return store_pdf(invoice.pk)


def store_pdf(invoice_id: int) -> bytes:
    """Render a finalized invoice from its snapshot and keep the bytes (idempotent)."""
    invoice = Invoice.objects.only("snapshot", "finalized_at", "status").get(pk=invoice_id)
    pdf = render_snapshot(invoice.snapshot, timestamp=invoice.finalized_at)
    try:
        with transaction.atomic():
            InvoicePdf.objects.create(invoice_id=invoice_id, pdf=pdf)
    except IntegrityError:  # rendered at the same time elsewhere: keep the first
        return bytes(InvoicePdf.objects.get(invoice_id=invoice_id).pdf)
    return pdf
