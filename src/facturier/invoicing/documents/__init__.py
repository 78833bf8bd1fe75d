"""What a finalized invoice is issued as, computed from its snapshot alone (pure functions):
the PDF laid out by Typst, and the EN 16931 e-invoice as CII (embedded in the PDF/A-3b
as Factur-X) and UBL 2.1 (Peppol BIS Billing 3.0)."""

from facturier.core.tax import vat_category

from .cii import FACTURX_FILENAME, build_cii
from .en16931 import missing as missing_for_en16931
from .facturx import embedded_xml
from .pdf import (
    RenderFailed,
    check_printable,
    layout_input,
    render_preview_png,
    render_snapshot,
)
from .ubl import build_ubl

__all__ = [
    "FACTURX_FILENAME",
    "RenderFailed",
    "build_cii",
    "build_ubl",
    "check_printable",
    "embedded_xml",
    "layout_input",
    "missing_for_en16931",
    "render_preview_png",
    "render_snapshot",
    "vat_category",
]
