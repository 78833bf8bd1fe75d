"""Account e-mails (invitations, password resets) as a kind of outbox delivery: the
worker's leases, retries and SMTP handling, a plain-text message."""

import contextlib
from collections.abc import Iterator

from django.core.mail import EmailMessage, get_connection
from django.db.models import QuerySet

from facturier.outbox import engine, smtp
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from .actions import record_account_email_outcome
from .models import AccountEmail


class AccountEmails:
    name = "account e-mail"
    model = AccountEmail

    def rows(self) -> QuerySet[AccountEmail]:
        return AccountEmail.objects.all()

    @contextlib.contextmanager
    def transport(self) -> Iterator[object]:
        connection = get_connection()
        try:
            yield connection
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def send(self, item: AccountEmail, transport) -> Outcome:
        message = EmailMessage(
            subject=item.subject,
            body=item.body,
            from_email=item.from_email,
            to=item.to,
            headers={"Message-ID": item.message_id, "Content-Language": item.language},
            connection=transport or get_connection(),
        )
        try:
            message.send()
        except Exception:
            message.connection.close()  # a connection that failed mid-message is not reused
            raise
        return Outcome(DeliveryStatus.SENT)

    def classify(self, exc: BaseException) -> tuple[bool, str]:
        return smtp.classify(exc)

    def held(self, exc: BaseException) -> str | None:
        return smtp.held(exc)

    def language(self, item: AccountEmail) -> str:
        return item.language

    def record(self, item: AccountEmail, attempt: int, outcome: Outcome) -> None:
        record_account_email_outcome(item, attempt, outcome)


ACCOUNT_EMAILS = AccountEmails()


def deliver(email_id: int, *, connection=None, now=None) -> str:
    """Try one account e-mail now, as the worker does; returns its status."""
    return engine.process(ACCOUNT_EMAILS, email_id, transport=connection, now=now)
