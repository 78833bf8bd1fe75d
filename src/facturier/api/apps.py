from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "facturier.api"
    verbose_name = "API"
