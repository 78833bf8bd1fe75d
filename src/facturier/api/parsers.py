"""The API's JSON parser: a document nested too deeply for Python's decoder (a body of
100,000 "[") is a malformed request, answered 400 `parse_error`, not a 500."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            message = _("JSON parse error - the document is nested too deeply.")
            raise exceptions.ParseError(message) from None
