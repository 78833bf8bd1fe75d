from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "facturier.outbox"
    label = "outbox"
    verbose_name = "Outbox"
