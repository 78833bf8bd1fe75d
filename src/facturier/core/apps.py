import gc

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "facturier.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # Every app's modules and models are loaded by now, and live as long as the
        # process: some 130,000 objects the collector would otherwise walk at each full
        # collection. A billing run's batch of a thousand drafts triggers one (about a
        # sixth of its time, measured); frozen, they are left out of it. Objects made
        # later are collected as ever.
        gc.freeze()
