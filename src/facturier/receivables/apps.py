from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

REMINDER_PASS_SECONDS = 3600


class ReceivablesConfig(AppConfig):
    name = "facturier.receivables"
    verbose_name = _("Receivables")

    def ready(self) -> None:
        from facturier.outbox import kinds

        from . import (
            events,  # noqa: F401  (declares its audit names)
            history,  # noqa: F401  (registers its history lines)
        )
        from .actions.reminders import send_due_reminders
        from .letter_outbox import LETTERS

        kinds.register(LETTERS)
        kinds.register_periodic("reminders", REMINDER_PASS_SECONDS, send_due_reminders)
