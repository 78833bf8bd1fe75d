"""Background entry points (thin): the PDF store does the work.

E-mails are not queued as tasks: the outbox worker finds due deliveries itself."""

from django_tasks import task


@task()
def render_pdf(invoice_id: int) -> None:
    """Render and store a finalized invoice's PDF (a no-op if already stored)."""
    from .actions.pdfs import store_pdf
    from .models import InvoicePdf

    if not InvoicePdf.objects.filter(invoice_id=invoice_id).exists():
        store_pdf(invoice_id)
