from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "facturier.clients"
    verbose_name = "Clients"
