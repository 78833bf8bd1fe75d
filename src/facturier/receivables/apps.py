from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

REMINDER_PASS_SECONDS = 3600


class ReceivablesConfig(AppConfig):
    name = "facturier.receivables"
    verbose_name = _("Receivables")

    def ready(self) -> None:
        from facturier.core import fiscal
        from facturier.outbox import kinds

        from . import (
            events,  # noqa: F401  (declares its audit names)
            history,  # noqa: F401  (registers its history lines)
        )
        from .actions.reminders import send_due_reminders
        from .debit_outbox import DEBIT_NOTICES
        from .letter_outbox import LETTERS

        kinds.register(LETTERS)
        kinds.register(DEBIT_NOTICES)
        fiscal.register_first_month(_fiscal_year_start)
        kinds.register_periodic("reminders", REMINDER_PASS_SECONDS, send_due_reminders)


def _fiscal_year_start(firm_id: int) -> int | None:
    """The first month of the firm's fiscal year, once its ledger accounts are set."""
    from .models import LedgerAccounts

    return (
        LedgerAccounts.objects.filter(firm_id=firm_id)
        .values_list("fiscal_year_start", flat=True)
        .first()
    )
