import os

from django.core.wsgi import get_wsgi_application

from facturier.core.memory import keep_hash_memory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.settings")
keep_hash_memory()
application = get_wsgi_application()
