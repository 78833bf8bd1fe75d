"""The outbox in the API, as on its page: what holds each queue (with the server's
words and since when), the failed deliveries, and retrying one or all of them."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.outbox import retrying

from . import serializers as s
from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .reports import LetterSerializer

KINDS = ["email", "letter", "platform"]


class QueueStateSerializer(serializers.Serializer):
    kind = serializers.CharField(source="code", help_text="email, letter or platform")
    label = serializers.CharField()
    held = serializers.IntegerField(help_text="Deliveries the settings hold (none is lost).")
    held_since = serializers.DateTimeField(allow_null=True)
    words = serializers.CharField(help_text="What the server said, for the latest held one.")
    failed = serializers.IntegerField()


class FailedSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    invoice = serializers.IntegerField(allow_null=True)
    client = serializers.IntegerField(allow_null=True)
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()


class OutboxSerializer(serializers.Serializer):
    queues = QueueStateSerializer(many=True)
    failed = FailedSerializer(many=True)


class Outbox(GenericAPIView):
    serializer_class = OutboxSerializer

    @extend_schema(
        operation_id="outbox_retrieve",
        summary="Each queue's state (held by the settings: since when, the server's words) "
        "and the failed deliveries the user sees",
    )
    def get(self, request):
        failed = [
            {
                "kind": kind.code,
                "id": item.pk,
                "invoice": getattr(item, "invoice_id", None),
                "client": getattr(item, "client_id", None),
                "attempts": item.attempts,
                "last_error": item.last_error,
                "created_at": item.created_at,
            }
            for kind, item in retrying.failed(request.user)
        ]
        answer = {"queues": retrying.queue_states(request.user), "failed": failed}
        return Response(OutboxSerializer(answer).data)


class RetryAllSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=KINDS, required=False, help_text="One kind only; all kinds when left out."
    )


class RetriedSerializer(serializers.Serializer):
    queued = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many were queued again, per kind."
    )


class OutboxRetry(GenericAPIView):
    serializer_class = RetryAllSerializer

    @extend_schema(
        operation_id="outbox_retry",
        request=RetryAllSerializer,
        responses={202: RetriedSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Queue again every failed delivery the user may retry (of one kind, or all)",
    )
    @idempotent
    def post(self, request):
        data = RetryAllSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = retrying.retry_failed_deliveries(
            by=request.user, kind=data.validated_data.get("kind")
        )
        return Response({"queued": counts}, status=status.HTTP_202_ACCEPTED)


def _retry_view(kind: str, answer: type[serializers.Serializer], what: str):
    class Retry(GenericAPIView):
        serializer_class = answer

        @extend_schema(
            operation_id=f"{kind}_retry",
            request=None,
            responses={202: answer},
            parameters=[IDEMPOTENCY_HEADER],
            summary=f"Queue a failed {what} again (409 not_retryable if sent or under way)",
        )
        @idempotent
        def post(self, request, pk):
            item = retrying.retry_delivery(by=request.user, kind=kind, delivery=pk)
            return Response(answer(item).data, status=status.HTTP_202_ACCEPTED)

    Retry.__name__ = Retry.__qualname__ = f"{kind.title()}Retry"
    return Retry


EmailRetry = _retry_view("email", s.DeliverySerializer, "e-mail of an invoice")
LetterRetry = _retry_view("letter", LetterSerializer, "letter (reminder, statement of account)")
TransmissionRetry = _retry_view("platform", s.TransmissionSerializer, "platform transmission")
