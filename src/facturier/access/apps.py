from django.apps import AppConfig


class AccessConfig(AppConfig):
    """API access: personal tokens and idempotency records.

    Its label stays "api", the app these tables and migrations were made under.
    """

    name = "facturier.access"
    label = "api"
    verbose_name = "API access"

    def ready(self) -> None:
        from . import events  # noqa: F401  (declares its audit names)
