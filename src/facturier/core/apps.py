from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "facturier.core"
    label = "core"
    verbose_name = "Core"
