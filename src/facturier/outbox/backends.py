"""The embedded default's mail: each message written as an .eml file a user can open."""

import re
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


def eml_path(message_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>"))
    return Path(settings.EMAIL_FILE_PATH) / f"{safe}.eml"


class EmlFileBackend(BaseEmailBackend):
    """Writes var/mail/<Message-ID>.eml, so the UI can link each delivery to its file."""

    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            message_id = message.extra_headers.get("Message-ID") or message.message()["Message-ID"]
            path = eml_path(message_id)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(message.message().as_bytes(linesep="\r\n"))
            tmp.replace(path)
        return len(email_messages)
