"""The firm's sensitive settings through the API: the e-invoicing platform's account
and the direct-debit creditor settings (the settings right). Changing the credentials,
the collection account, the creditor identifier or the scheme needs two factors: a
token's owner with an authenticator app set up; a browser session that confirmed a code
in the last 10 minutes (access/stepup.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.access.models import ApiToken
from facturier.access.stepup import CONFIRMED_AT, sensitive_changes, step_up_refusal
from facturier.core.errors import NotAllowed
from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing.models import Platform
from facturier.firms import actions as firm_actions
from facturier.receivables import actions as receivables
from facturier.receivables.models import SepaSettings
from facturier.receivables.selectors import sepa_settings


def require_step_up(request, stored, fields, names, **options) -> None:
    if not sensitive_changes(stored, fields, names, **options):
        return
    session = getattr(request, "session", None)
    refusal = step_up_refusal(
        request.user,
        confirmed_at=session.get(CONFIRMED_AT) if session is not None else None,
        by_token=isinstance(request.auth, ApiToken),
    )
    if refusal is not None:
        raise refusal


def _settings_holder(request) -> None:
    firm_actions.require_settings_right(request.user)
    if not request.user.firm_id:
        raise NotAllowed()


class PlatformSerializer(serializers.ModelSerializer):
    client_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Never read back; left out or empty: the one stored is kept.",
    )

    class Meta:
        model = Platform
        fields = list(einvoicing.PLATFORM_FIELDS)


class PlatformSettings(GenericAPIView):
    serializer_class = PlatformSerializer

    def get_object(self):  # the firm's platform, not a row named in the URL
        return None

    @extend_schema(operation_id="platform_settings_retrieve", summary="The e-invoicing platform")
    def get(self, request):
        _settings_holder(request)
        platform = Platform.objects.filter(firm_id=request.user.firm_id).first()
        if platform is None:
            return Response({})
        return Response(PlatformSerializer(platform).data)

    @extend_schema(
        operation_id="platform_settings_update",
        summary="Set the e-invoicing platform (settings right; two factors for credentials: "
        "second_factor_needed, second_factor_not_confirmed)",
    )
    def put(self, request):
        _settings_holder(request)
        stored = Platform.objects.filter(firm_id=request.user.firm_id).first()
        data = PlatformSerializer(stored, data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        require_step_up(
            request,
            stored,
            fields,
            einvoicing.CREDENTIAL_FIELDS,
            kept_when_empty=("client_secret",),
        )
        platform = einvoicing.save_platform(request.user.firm, by=request.user, fields=fields)
        return Response(PlatformSerializer(platform).data)


class SepaSettingsSerializer(serializers.ModelSerializer):
    # Left out of an update: the firm's current choice stays (no silent switch back).
    scheme = serializers.ChoiceField(choices=["CORE", "B2B"], required=False)
    pain_version = serializers.ChoiceField(
        choices=["pain.008.001.02", "pain.008.001.08"], required=False
    )

    class Meta:
        model = SepaSettings
        fields = [
            "creditor_id",
            "iban",
            "bic",
            "prenotification_days",
            "scheme",
            "pain_version",
        ]


class DirectDebitSettings(GenericAPIView):
    serializer_class = SepaSettingsSerializer

    def get_object(self):  # the firm's settings, not a row named in the URL
        return None

    @extend_schema(operation_id="sepa_settings_retrieve", summary="The direct-debit settings")
    def get(self, request):
        _settings_holder(request)
        return Response(SepaSettingsSerializer(sepa_settings(firm_id=request.user.firm_id)).data)

    @extend_schema(
        operation_id="sepa_settings_update",
        summary="Set the direct-debit settings (settings right; two factors for the "
        "identifier, account and scheme: second_factor_needed, second_factor_not_confirmed)",
    )
    def put(self, request):
        _settings_holder(request)
        stored = SepaSettings.objects.filter(firm_id=request.user.firm_id).first()
        data = SepaSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        require_step_up(request, stored, fields, receivables.SENSITIVE_SETTINGS_FIELDS)
        saved = receivables.save_sepa_settings(request.user.firm_id, by=request.user, fields=fields)
        return Response(SepaSettingsSerializer(saved).data)
