"""The firm's single sign-on (OpenID Connect), as Settings → Security sets it: read,
set (the provider's discovery document read first; the secret written, never read
back) and removed. The settings right."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.access import actions as access_actions
from facturier.firms.actions import require_settings_right

from .sensitive_settings import require_step_up


class SingleSignOnSerializer(serializers.Serializer):
    issuer = serializers.URLField(
        max_length=300,
        help_text="The provider's issuer, e.g. https://login.microsoftonline.com/<tenant>/v2.0",
    )
    client_id = serializers.CharField(max_length=300)
    client_secret = serializers.CharField(
        max_length=500,
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Written, never read back. Left out or empty: the one stored is kept.",
    )
    sso_only = serializers.BooleanField(
        default=False,
        help_text="Passwords refused but to members with the settings right.",
    )
    trust_provider_emails = serializers.BooleanField(
        default=False,
        help_text=(
            "A member's first single sign-on is matched by an address the provider does not "
            "say it verified (Microsoft Entra ID). Off by default; changed with two factors."
        ),
    )
    configured = serializers.BooleanField(read_only=True)
    redirect_uri = serializers.CharField(
        read_only=True, help_text="The address to register with the provider."
    )


class SingleSignOnSettings(GenericAPIView):
    serializer_class = SingleSignOnSerializer

    def get_object(self):  # the firm's settings, not a row: OPTIONS asks for one
        return None

    def _current(self, request) -> dict:
        stored = access_actions.single_sign_on(request.user.firm_id)
        return {
            "issuer": stored.issuer if stored else "",
            "client_id": stored.client_id if stored else "",
            "sso_only": bool(stored and stored.sso_only),
            "trust_provider_emails": bool(stored and stored.trust_provider_emails),
            "configured": stored is not None,
            "redirect_uri": request.build_absolute_uri(reverse("login_sso_callback")),
        }

    @extend_schema(
        operation_id="single_sign_on_retrieve",
        summary="The firm's single sign-on (needs the settings right)",
    )
    def get(self, request):
        require_settings_right(request.user)
        return Response(SingleSignOnSerializer(self._current(request)).data)

    @extend_schema(
        operation_id="single_sign_on_update",
        summary=(
            "Set the firm's single sign-on (needs the settings right); the issuer's "
            "discovery document must answer (`issuer_unreachable` otherwise)"
        ),
    )
    def put(self, request):
        require_settings_right(request.user)
        data = SingleSignOnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_step_up(
            request,
            access_actions.single_sign_on(request.user.firm_id),
            data.validated_data,
            access_actions.SSO_SENSITIVE_FIELDS,
            kept_when_empty=("client_secret",),
        )
        access_actions.save_single_sign_on(
            request.user.firm, by=request.user, fields=data.validated_data
        )
        return self.get(request)

    @extend_schema(
        operation_id="single_sign_on_destroy",
        responses={204: None},
        summary="Remove the firm's single sign-on (needs the settings right)",
    )
    def delete(self, request):
        stored = access_actions.single_sign_on(request.user.firm_id)
        if stored is not None:
            require_step_up(request, stored, {"issuer": ""}, ("issuer",))
        access_actions.remove_single_sign_on(by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
