"""The app as gunicorn serves it, with bench.floor_urls' bare view added: the floor
under any page through HTTP (bench.invoice_list)."""

from django.conf import settings

from facturier.wsgi import application

settings.ROOT_URLCONF = "bench.floor_urls"

__all__ = ["application"]
