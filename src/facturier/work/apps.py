from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "facturier.work"
    verbose_name = _("Time and expenses")
