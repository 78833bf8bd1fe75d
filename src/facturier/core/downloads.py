"""A file a person uploaded, given back to read: inline, but never as this site's own
page (a CSP sandbox: no script, no same-origin), and never sniffed as another type."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def inline_disposition(filename: str) -> str:
    """`inline` with the file's name, whatever it holds (quotes, accents: RFC 6266's
    filename*, control characters dropped rather than breaking the header)."""
    printable = "".join(c for c in filename if c.isprintable()) or "document"
    return content_disposition_header(as_attachment=False, filename=printable)


def uploaded_file(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = inline_disposition(filename)
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
