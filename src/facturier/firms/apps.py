from django.apps import AppConfig


class FirmsConfig(AppConfig):
    name = "facturier.firms"
    verbose_name = "Firms"
