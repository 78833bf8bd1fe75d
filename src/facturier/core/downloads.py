"""A file a person uploaded, given back to read: inline, but never as this site's own
page (a CSP sandbox: no script, no same-origin), and never sniffed as another type."""

from django.http import HttpResponse


def uploaded_file(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
