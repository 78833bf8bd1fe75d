"""Idempotency-Key on action endpoints: the same key and body replay the first
answer and do nothing twice; the same key with another body is refused (409)."""

import functools
import hashlib
import json

from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from facturier.access.actions import remember_response
from facturier.access.models import IdempotencyRecord
from facturier.core.actions import unit_of_work

from .errors import error_response

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID): a retry with the same key and body "
    "replays the first answer instead of acting twice.",
)


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method):
    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 255 or not key.isprintable():
            return error_response(
                "validation", "Idempotency-Key: at most 255 printable characters.", 400
            )
        fingerprint = _fingerprint(request)
        record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if record is not None:
            if record.fingerprint != fingerprint:
                return error_response(
                    "idempotency_conflict",
                    "This Idempotency-Key was used with another request.",
                    409,
                )
            response = Response(record.body, status=record.status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            # The action and the record of its answer commit together, or neither does.
            with unit_of_work():
                response = view_method(self, request, *args, **kwargs)
                if response.status_code < 500:
                    remember_response(
                        by=request.user,
                        key=key,
                        fingerprint=fingerprint,
                        status=response.status_code,
                        body=response.data,
                    )
        except IntegrityError:  # the same key, sent twice at once: the other one won
            return error_response(
                "idempotency_conflict", "A request with this Idempotency-Key is in progress.", 409
            )
        return response

    return wrapper
