"""What a finalized invoice is issued as, computed from its snapshot alone (pure functions):
the PDF laid out by Typst, and the EN 16931 e-invoice as CII (embedded in the PDF/A-3b
as Factur-X) and UBL 2.1 (Peppol BIS Billing 3.0)."""

from .cii import FACTURX_FILENAME, build_cii, missing_for_en16931, vat_category
from .pdf import RenderFailed, layout_input, render_preview_png, render_snapshot
from .ubl import build_ubl

__all__ = [
    "FACTURX_FILENAME",
    "RenderFailed",
    "build_cii",
    "build_ubl",
    "layout_input",
    "missing_for_en16931",
    "render_preview_png",
    "render_snapshot",
    "vat_category",
]
