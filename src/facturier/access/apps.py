from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Access: API tokens, idempotency records, staff invitations, members' rights and
    sign-in, and the e-mails about accounts.

    Its label stays "api", the app these tables and migrations were made under.
    """

    name = "facturier.access"
    label = "api"
    verbose_name = "API access"

    def ready(self) -> None:
        from facturier.outbox import kinds

        from . import events  # noqa: F401  (declares its audit names)
        from .account_outbox import ACCOUNT_EMAILS

        kinds.register(ACCOUNT_EMAILS)
