"""Background entry points (thin): the outbox and the PDF store do the work.

E-mails are not queued as tasks any more: the outbox worker finds due deliveries
itself, and a task per e-mail made it try each one twice. `deliver_email` stays for
the tasks an earlier version queued; it finds its delivery done, or does it."""

from django_tasks import task


@task()
def deliver_email(delivery_id: int) -> str:
    from .deliveries import deliver

    return deliver(delivery_id)


@task()
def render_pdf(invoice_id: int) -> None:
    """Render and store a finalized invoice's PDF (a no-op if already stored)."""
    from .actions.pdfs import store_pdf
    from .models import InvoicePdf

    if not InvoicePdf.objects.filter(invoice_id=invoice_id).exists():
        store_pdf(invoice_id)
