from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "facturier.clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from . import events  # noqa: F401  (declares its audit names)
