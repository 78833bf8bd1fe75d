from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Personal data: what the firm holds about a client's contact or a member of staff
    (the export), erasing it where the law allows, and the retention pass."""

    name = "facturier.privacy"
    verbose_name = "Personal data"

    def ready(self) -> None:
        from facturier.outbox import kinds

        from .retention import apply_retention

        # Erasing is safe to run twice: an erased person is never erased again.
        kinds.register_periodic("retention", 24 * 3600, apply_retention)
