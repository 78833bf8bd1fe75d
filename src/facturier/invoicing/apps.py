from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "facturier.invoicing"
    verbose_name = "Invoicing"

    def ready(self) -> None:
        from facturier.outbox import kinds

        from . import (
            events,  # noqa: F401  (declares its audit names)
            history,  # noqa: F401  (registers invoicing's history lines)
        )
        from .email_outbox import EMAILS

        kinds.register(EMAILS)
