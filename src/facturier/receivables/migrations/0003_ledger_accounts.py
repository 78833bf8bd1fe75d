from django.db import migrations


class Migration(migrations.Migration):
    """The model is named for what it holds, the firm's ledger accounts; its table stays."""

    dependencies = [
        ("receivables", "0002_reminders_letters_ledger"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameModel("Ledger", "LedgerAccounts"),
                migrations.AlterModelTable("ledgeraccounts", "receivables_ledger"),
            ],
        ),
    ]
