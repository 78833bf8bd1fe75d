from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "facturier.invoicing"
    verbose_name = "Invoicing"
