"""EMAIL_URL -> Django e-mail settings.

smtp://user:password@host:587 (STARTTLS unless ?tls=false), smtps://...:465
(implicit TLS), file:///path/to/dir, console://, locmem://.
"""

from urllib.parse import parse_qs, unquote, urlsplit


def email_settings_from_url(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "facturier.outbox.backends.EmlFileBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in {"smtp", "smtps"}:
        raise ValueError(f"EMAIL_URL: unknown scheme {parts.scheme!r}")
    implicit_tls = scheme == "smtps"
    starttls = not implicit_tls and query.get("tls", "true").lower() not in {"0", "false", "no"}
    return {
        "EMAIL_BACKEND": "facturier.outbox.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if implicit_tls else 587 if starttls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": implicit_tls,
        "EMAIL_USE_TLS": starttls,
        "EMAIL_TIMEOUT": float(query.get("timeout", "30")),
    }
