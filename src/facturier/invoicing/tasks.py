"""Background entry points (thin): the outbox does the work."""

from django_tasks import task

from . import delivery, rendering


@task()
def deliver_email(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


@task()
def render_pdf(invoice_id: int) -> None:
    """Render and store a finalized invoice's PDF (a no-op if already stored)."""
    from .models import InvoicePdf

    if not InvoicePdf.objects.filter(invoice_id=invoice_id).exists():
        rendering.store_pdf(invoice_id)
