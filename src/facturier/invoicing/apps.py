from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "facturier.invoicing"
    verbose_name = "Invoicing"

    def ready(self) -> None:
        from facturier.outbox import kinds

        from .deliveries import EMAILS

        kinds.register(EMAILS)
