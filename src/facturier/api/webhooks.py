"""The address an e-invoicing platform calls when one of the firm's flows changes
(AFNOR XP Z12-013 annex A, WebhookCallback). No session, no token: the secret key in
the address names the firm's platform, and the call only makes the worker read the
platform sooner (einvoicing/webhook.py says why that is safe)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from facturier.einvoicing import webhook

from .throttling import TokenRateThrottle


class WebhookCallbackContent(serializers.Serializer):
    flowInfo = inline_serializer(  # noqa: N815 - the annex's name
        "WebhookFlow",
        fields={
            "flowId": serializers.CharField(max_length=64),
            "trackingId": serializers.CharField(required=False),
            "updatedAt": serializers.DateTimeField(required=False),
        },
    )


class PlatformWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]  # per calling address, as for any anonymous call

    @extend_schema(
        operation_id="einvoicing_webhook",
        summary=(
            "Called by the firm's e-invoicing platform when a flow changes: the platform is "
            "read again at once. The key is shown in Settings, E-invoicing."
        ),
        request=WebhookCallbackContent,
        responses={200: OpenApiResponse(description="Taken: the platform will be read.")},
        auth=[],
    )
    def post(self, request, key: str):
        webhook.called_back(key, request.data)
        return Response({})
