"""The API's JSON parser: what it cannot read is a 400 `parse_error` whose message says
why in the request's language, without the decoder's own words (Python's, in English:
"use sys.set_int_max_str_digits()"); a document nested too deeply for the decoder (a
body of 100,000 "[") is one too, not a 500."""

import json

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            message = _("JSON parse error - the document is nested too deeply.")
            raise exceptions.ParseError(message) from None
        except exceptions.ParseError as exc:
            raise exceptions.ParseError(_unreadable(exc.__context__)) from None


def _unreadable(cause) -> str:
    if isinstance(cause, json.JSONDecodeError):
        return _("The body is not valid JSON (line %(line)s, column %(column)s).") % {
            "line": cause.lineno,
            "column": cause.colno,
        }
    if isinstance(cause, UnicodeDecodeError):
        return _("The body is not UTF-8 text.")
    # Python refuses integers of more than 4,300 digits: no amount or id has them.
    return _("The body is not valid JSON: a number in it is too long.")
