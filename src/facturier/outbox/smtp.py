"""E-mail over SMTP, as the outbox needs it: refusals kept per recipient, and every
failure sorted into "try again later" or "give up", with the reason in words."""

import smtplib
import socket

from django.conf import settings
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address
from django.utils.translation import gettext as _


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend, keeping what the server refused for some recipients.

    smtplib's sendmail() raises only when *every* recipient is refused; the
    refusals of some are its return value, which Django drops. They are kept on
    the message as `refused`: {address: "550 reason"}.
    """

    def _send(self, email_message):
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        message = email_message.message()
        refused = self.connection.sendmail(from_email, recipients, message.as_bytes(linesep="\r\n"))
        email_message.refused = {
            address: f"{code} {_text(reply)}".strip() for address, (code, reply) in refused.items()
        }
        return True


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def held(exc: BaseException) -> str | None:
    """The server's words when the firm's mail settings fail (credentials refused, the
    server unreachable): every message would fail alike, none is at fault."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 530:
        # "Authentication required": the settings give no login to a server that wants one.
        return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # a login for a server without AUTH
        return str(exc)
    if isinstance(exc, smtplib.SMTPConnectError | ConnectionRefusedError | socket.gaierror):
        return str(exc)
    return None


def classify(exc: BaseException) -> tuple[bool, str]:
    """(try again later?, the reason in plain words) for an error met while sending."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        code, reply = answers[0] if answers else (550, b"")
        return 400 <= code < 500, _("The server refused the recipient (%(code)s %(text)s).") % {
            "code": code,
            "text": _text(reply),
        }
    if isinstance(exc, smtplib.SMTPResponseException):
        values = {"code": exc.smtp_code, "text": _text(exc.smtp_error)}
        if 400 <= exc.smtp_code < 500:
            return True, _("The server asked to try later (%(code)s %(text)s).") % values
        return False, _("The server refused the message (%(code)s %(text)s).") % values
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, _("The server closed the connection before accepting the message.")
    if isinstance(exc, socket.timeout | TimeoutError):
        return True, _("The server did not answer in time.")
    if isinstance(exc, ConnectionRefusedError):
        return True, _("The mail server could not be reached (connection refused).")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return True, _("The mail server could not be reached (%(error)s).") % {"error": exc}
    if isinstance(exc, ValueError):
        # A header the mail library refuses, an address it cannot encode: the same
        # message would fail the same way at every attempt.
        return False, _("The message could not be built (%(error)s).") % {"error": exc}
    return True, _("The message could not be prepared (%(error)s).") % {
        "error": f"{type(exc).__name__}: {exc}"
    }
