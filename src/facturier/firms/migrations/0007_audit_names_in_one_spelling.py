from django.db import migrations

# The audit trail's names, each in the one spelling "<thing>.<what happened>".
RENAMED = {
    "payment.record": "payment.recorded",
    "payment.update": "payment.updated",
    "payment.delete": "payment.deleted",
    "credit.refund": "credit.refunded",
    "credit.unallocate": "credit.unallocated",
    "reminders.levels_saved": "reminder_levels.saved",
    "ledger.saved": "ledger_accounts.saved",
    "statement.csv_mapping": "bank_csv_columns.saved",
    "statement.import": "bank_statement.imported",
    "platform_saved": "platform.saved",
}


def rename(apps, schema_editor, names=RENAMED):
    AuditEvent = apps.get_model("firms", "AuditEvent")
    for old, new in names.items():
        AuditEvent.objects.filter(action=old).update(action=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("firms", "0006_vat_regime_and_registration"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
