from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "facturier.web"
    label = "web"
    verbose_name = "Web interface"

    def ready(self) -> None:
        from . import signin  # noqa: F401  (sign-ins and their failures in the audit trail)
