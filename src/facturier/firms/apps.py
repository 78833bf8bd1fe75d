from django.apps import AppConfig


class FirmsConfig(AppConfig):
    name = "facturier.firms"
    verbose_name = "Firms"

    def ready(self) -> None:
        from . import events  # noqa: F401  (declares its audit names)
