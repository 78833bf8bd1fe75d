"""The invoice's history joins the firm's one audit trail (firms.AuditEvent): each
InvoiceEvent row becomes an AuditEvent row whose target is the invoice, under its name
in the trail's one spelling (<thing>.<happened>); then the InvoiceEvent table goes.
Reversible: the rows go back, under their old names."""

from django.db import migrations

TARGET = "invoicing.invoice"
NAMES = {
    "create": "invoice.created",
    "update": "invoice.edited",
    "delete": "invoice.deleted",
    "finalize": "invoice.finalized",
    "send": "invoice.sent",
    "close": "invoice.closed",
    "reopen": "invoice.reopened",
    "delivered": "invoice.emailed",
    "partly_delivered": "invoice.partly_emailed",
    "delivery_retry": "invoice.email_deferred",
    "delivery_failed": "invoice.email_failed",
    "credit": "invoice.credited",
    "from_wip": "invoice.drafted_from_wip",
    "payment": "invoice.paid",
    "payment_removed": "invoice.payment_removed",
    "remind": "invoice.reminded",
    "reminder_delivered": "invoice.reminder_emailed",
    "reminder_failed": "invoice.reminder_failed",
    "reminders_paused": "invoice.reminders_paused",
    "reminders_resumed": "invoice.reminders_resumed",
    "platform_deposited": "invoice.platform_deposited",
    "platform_failed": "invoice.platform_failed",
    "platform_status": "invoice.platform_status",
}
BATCH = 2000


def forward(apps, schema_editor):
    InvoiceEvent = apps.get_model("invoicing", "InvoiceEvent")
    AuditEvent = apps.get_model("firms", "AuditEvent")
    rows = InvoiceEvent.objects.order_by("at", "id").iterator(chunk_size=BATCH)
    batch = []
    for event in rows:
        batch.append(
            AuditEvent(
                firm_id=event.firm_id,
                actor_id=event.actor_id,
                at=event.at,
                action=NAMES.get(event.action, event.action),
                target_type=TARGET,
                # A deleted draft's rows kept no invoice: its id is in its reference.
                target_id=str(event.invoice_id or event.invoice_ref.lstrip("#")),
                target=event.invoice_ref,
                from_status=event.from_status,
                to_status=event.to_status,
                details=event.details,
            )
        )
        if len(batch) >= BATCH:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def backward(apps, schema_editor):
    InvoiceEvent = apps.get_model("invoicing", "InvoiceEvent")
    Invoice = apps.get_model("invoicing", "Invoice")
    AuditEvent = apps.get_model("firms", "AuditEvent")
    old = {new: name for name, new in NAMES.items()}
    moved = AuditEvent.objects.filter(target_type=TARGET, action__in=list(old))
    existing = set(Invoice.objects.values_list("pk", flat=True))
    batch = []
    for event in moved.order_by("at", "id").iterator(chunk_size=BATCH):
        invoice_id = int(event.target_id) if event.target_id.isdigit() else None
        batch.append(
            InvoiceEvent(
                firm_id=event.firm_id,
                invoice_id=invoice_id if invoice_id in existing else None,
                invoice_ref=event.target,
                action=old[event.action],
                from_status=event.from_status,
                to_status=event.to_status,
                actor_id=event.actor_id,
                at=event.at,
                details=event.details,
            )
        )
    InvoiceEvent.objects.bulk_create(batch, batch_size=BATCH)
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("firms", "0008_invoice_history_in_the_audit_trail"),
        ("invoicing", "0016_list_due_index"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="InvoiceEvent"),
    ]
