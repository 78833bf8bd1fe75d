"""A finalized invoice's PDF is rendered once and stored: what the client got, byte
for byte. Storing it is the one write a GET may cause (View PDF before the worker
got to it); it changes nothing a user can see but the speed of the next view."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from facturier.core.actions import action

from .. import documents
from ..models import Invoice, InvoicePdf
from ..selectors import default_template
from ..snapshots import build_snapshot


def draft_preview(invoice: Invoice) -> bytes:
    """A draft's PDF: watermarked, never a number, not stored."""
    template = invoice.template or default_template(invoice.firm_id)
    snapshot = build_snapshot(invoice, template)
    return documents.render_snapshot(snapshot, draft=True, timestamp=timezone.now())


def pdf_for(invoice: Invoice) -> bytes:
    """The frozen PDF of a finalized invoice (the same bytes every time); a draft's preview."""
    if invoice.is_draft:
        return draft_preview(invoice)
    stored = InvoicePdf.objects.filter(invoice_id=invoice.pk).values_list("pdf", flat=True).first()
    if stored is not None:
        return bytes(stored)
    return store_pdf(invoice.pk)


def store_pdf(invoice_id: int) -> bytes:
    """Render a finalized invoice from its snapshot and keep the bytes (idempotent).

    Rendered outside any transaction (it takes milliseconds to seconds); only the
    insert is the action.
    """
    invoice = Invoice.objects.only("snapshot", "finalized_at", "status").get(pk=invoice_id)
    pdf = documents.render_snapshot(invoice.snapshot, timestamp=invoice.finalized_at)
    return _keep(invoice_id, pdf)


@action
def _keep(invoice_id: int, pdf: bytes) -> bytes:
    try:
        with transaction.atomic():
            InvoicePdf.objects.create(invoice_id=invoice_id, pdf=pdf)
    except IntegrityError:  # rendered at the same time elsewhere: keep the first
        return bytes(InvoicePdf.objects.get(invoice_id=invoice_id).pdf)
    return pdf


def einvoice_xml(invoice: Invoice, syntax: str = "cii") -> bytes:
    """A finalized e-invoice's XML. The CII is the one its stored Factur-X PDF carries,
    so what the client got stays what is downloaded, even after the builders change
    (an invoice issued before an upgrade keeps its own XML); the UBL is derived."""
    if syntax == "ubl":
        return documents.build_ubl(invoice.snapshot)
    stored = InvoicePdf.objects.filter(invoice_id=invoice.pk).values_list("pdf", flat=True).first()
    if stored is not None:
        embedded = documents.embedded_xml(bytes(stored))
        if embedded is not None:
            return embedded
    return documents.build_cii(invoice.snapshot)
