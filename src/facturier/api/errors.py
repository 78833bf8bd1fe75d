"""Every API error is JSON: {"code": "...", "message": "...", "errors": {...}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from facturier.core.errors import DomainError, Invalid


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: not_found, validation, ...")
    message = serializers.CharField(help_text="For people, in the request's language.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field name -> messages.",
    )
    codes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field name -> a stable code per message (required, invalid, max_length...).",
    )


ERROR_STATUSES = {
    400: "Malformed request (unreadable JSON, bad header).",
    401: "Not authenticated (`not_authenticated`), or the token expired (`token_expired`).",
    403: "Authenticated, but not allowed (`not_allowed`; `read_only_token` for a write).",
    404: "No such object, or not visible to you.",
    409: "Conflicts with the object's state, or an Idempotency-Key reused with another body.",
    415: "The body is in a media type this operation does not read (`unsupported_media_type`).",
    422: "Invalid input; `errors` names the fields.",
    429: "Too many requests for this token.",
}


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A nested object's own errors belong to it ("lines": not a list; "lines.0":
            # not an object), the top level's to "general".
            name = (prefix[:-1] or "general") if key == "non_field_errors" else f"{prefix}{key}"
            out.update(_flatten(value, f"{name}."))
            if not isinstance(value, dict | list) or (
                isinstance(value, list) and value and not isinstance(value[0], dict | list)
            ):
                out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out.update(_flatten(value, f"{prefix}{index}."))
    return out


def error_response(code: str, message: str, http_status: int, errors=None, codes=None) -> Response:
    body = {"code": code, "message": str(message)}
    if errors:
        body["errors"] = errors
        body["codes"] = codes or {field: ["invalid"] * len(msgs) for field, msgs in errors.items()}
    return Response(body, status=http_status)


def handle_exception(exc, context):
    if isinstance(exc, Invalid):
        return error_response(exc.code, exc.message, 422, exc.errors, exc.codes)
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status)
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail if isinstance(exc.detail, dict) else {"general": exc.detail})
        codes = exc.get_codes()
        codes = _flatten(codes if isinstance(codes, dict) else {"general": codes})
        return error_response(
            "validation",
            _("Some fields need attention."),
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            errors,
            codes,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", "")
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    if code in ("token_expired", "read_only_token"):
        pass  # the token's own refusals keep their codes
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code = "not_authenticated"
    elif isinstance(exc, exceptions.PermissionDenied):
        code = "not_allowed"
    new = error_response(str(code), str(detail), response.status_code)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            new[header] = response[header]
    return new


def add_error_responses(result, generator, request, public):
    """Schema hook: document the error answers on every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "codes": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message"],
        },
    )
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    str(code),
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result


def page_not_found(request, exception):
    """A 404 outside any view (no URL matched): JSON under /api/, the usual page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found as html_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": _("Not found.")}, status=404)
    return html_not_found(request, exception)
