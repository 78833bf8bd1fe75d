"""E-invoices: the Cross Industry Invoice (CII) XML of EN 16931, embedded in the PDF/A-3
as Factur-X. Built from the finalized snapshot, like the PDF."""

from .cii import FACTURX_FILENAME, build_cii, missing_for_en16931, vat_category
from .ubl import build_ubl

__all__ = ["FACTURX_FILENAME", "build_cii", "build_ubl", "missing_for_en16931", "vat_category"]
