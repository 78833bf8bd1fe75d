"""The API of engagement letters: an engagement's letters (made from a template), a
letter's PDF, sending it, its signed copy (uploaded, read back), marking it active;
and the firm's letter templates."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from facturier.core.converters import MAX_ID
from facturier.core.downloads import uploaded_file
from facturier.core.errors import NotFound as DomainNotFound
from facturier.engagements import actions
from facturier.engagements import selectors as engagement_selectors
from facturier.engagements.letter_models import (
    LETTER_LANGUAGES,
    MAX_BODY,
    EngagementLetter,
    LetterTemplate,
)
from facturier.engagements.permissions import get_visible
from facturier.firms.actions import require_settings_right

from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .views import BinaryView, PdfRenderer

PDF = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)}


class EngagementLetterSerializer(serializers.ModelSerializer):
    template = serializers.PrimaryKeyRelatedField(read_only=True)
    has_signed_copy = serializers.SerializerMethodField()

    class Meta:
        model = EngagementLetter
        fields = [
            "id",
            "engagement",
            "version",
            "template",
            "language",
            "status",
            "day",
            "signed_on",
            "created_at",
            "sent_at",
            "activated_at",
            "ended_at",
            "has_signed_copy",
        ]

    def get_has_signed_copy(self, letter) -> bool:
        return letter.signed_on is not None


class EngagementLetterCreateSerializer(serializers.Serializer):
    template = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="One of the firm's letter templates."
    )


def _letter(request, pk) -> EngagementLetter:
    letter = engagement_selectors.visible_letter(user=request.user, pk=pk)
    if letter is None:
        raise NotFound(_("No such engagement letter."))
    return letter


class EngagementLetters(GenericAPIView):
    serializer_class = EngagementLetterSerializer

    @extend_schema(
        operation_id="engagement_letters_list",
        responses={200: EngagementLetterSerializer(many=True)},
        summary="An engagement's letters, the current version's first",
    )
    def get(self, request, pk):
        try:
            engagement = get_visible(request.user, pk)
        except DomainNotFound:
            raise NotFound(_("No such engagement.")) from None
        letters = engagement_selectors.letters_of(engagement)
        return Response(EngagementLetterSerializer(letters, many=True).data)

    @extend_schema(
        operation_id="engagement_letters_create",
        request=EngagementLetterCreateSerializer,
        responses={201: EngagementLetterSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="The letter of the engagement's current version, from a template (a draft "
        "of it is replaced)",
    )
    @idempotent
    def post(self, request, pk):
        data = EngagementLetterCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        letter = actions.create_letter(
            pk, by=request.user, template=data.validated_data["template"]
        )
        return Response(EngagementLetterSerializer(letter).data, status=status.HTTP_201_CREATED)


class LetterDetail(GenericAPIView):
    serializer_class = EngagementLetterSerializer

    @extend_schema(operation_id="engagement_letters_retrieve", summary="One engagement letter")
    def get(self, request, pk):
        return Response(EngagementLetterSerializer(_letter(request, pk)).data)


class LetterPdf(BinaryView):
    @extend_schema(operation_id="engagement_letters_pdf", responses=PDF, summary="The letter's PDF")
    def get(self, request, pk):
        letter = _letter(request, pk)
        response = uploaded_file(bytes(letter.pdf), "application/pdf", letter.filename)
        response["Content-Security-Policy"] = "sandbox"
        return response


class SignedLetterSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The signed letter: a PDF of at most 10 MB.")
    signed_on = serializers.DateField(required=False, help_text="Default: today.")


class LetterSigned(BinaryView):
    serializer_class = SignedLetterSerializer
    parser_classes = [MultiPartParser]
    renderer_classes = [JSONRenderer, PdfRenderer]

    def get_queryset(self):  # OPTIONS describes PUT by looking the letter up
        return engagement_selectors.visible_letters(self.request.user)

    @extend_schema(
        operation_id="engagement_letters_signed_retrieve",
        responses=PDF,
        summary="The signed copy, as it was uploaded",
    )
    def get(self, request, pk):
        letter = _letter(request, pk)
        if letter.signed_pdf is None:
            raise NotFound(_("No signed copy."))
        name = letter.signed_filename or f"signed-{letter.filename}"
        return uploaded_file(bytes(letter.signed_pdf), "application/pdf", name)

    @extend_schema(
        operation_id="engagement_letters_signed_update",
        request={"multipart/form-data": SignedLetterSerializer},
        responses={200: EngagementLetterSerializer},
        summary="Signed on paper: upload the signed copy (a PDF by its content)",
    )
    def put(self, request, pk):
        data = SignedLetterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        letter = actions.upload_signed_copy(
            pk,
            by=request.user,
            content=upload.read(actions.MAX_SIGNED_COPY + 1),
            filename=upload.name,
            signed_on=data.validated_data.get("signed_on"),
        )
        return Response(EngagementLetterSerializer(letter).data)


class LetterSend(GenericAPIView):
    serializer_class = EngagementLetterSerializer

    @extend_schema(
        operation_id="engagement_letters_send",
        request=None,
        responses={200: EngagementLetterSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="E-mail the letter's PDF to the client's billing contact",
    )
    @idempotent
    def post(self, request, pk):
        return Response(EngagementLetterSerializer(actions.send_letter(pk, by=request.user)).data)


class LetterActivate(GenericAPIView):
    serializer_class = EngagementLetterSerializer

    @extend_schema(
        operation_id="engagement_letters_activate",
        request=None,
        responses={200: EngagementLetterSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Mark the signed letter active",
    )
    @idempotent
    def post(self, request, pk):
        return Response(
            EngagementLetterSerializer(actions.activate_letter(pk, by=request.user)).data
        )


class LetterTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = LetterTemplate
        fields = ["id", "name", "language", "body", "general_terms"]


class LetterTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    language = serializers.ChoiceField(choices=LETTER_LANGUAGES, required=False)
    body = serializers.CharField(
        max_length=MAX_BODY,
        required=False,
        help_text="The text, with placeholders in braces: {client_name}, {missions}...",
    )
    general_terms = serializers.CharField(max_length=MAX_BODY, required=False, allow_blank=True)


class LetterTemplateCreateSerializer(LetterTemplateWriteSerializer):
    name = serializers.CharField(max_length=80)
    language = serializers.ChoiceField(choices=LETTER_LANGUAGES)
    body = serializers.CharField(max_length=MAX_BODY)


class LetterTemplates(GenericAPIView):
    serializer_class = LetterTemplateSerializer

    @extend_schema(
        operation_id="letter_templates_list",
        responses={200: LetterTemplateSerializer(many=True)},
        summary="The firm's letter templates (settings right)",
    )
    def get(self, request):
        require_settings_right(request.user)
        rows = engagement_selectors.letter_templates(firm_id=request.user.firm_id)
        return Response(LetterTemplateSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="letter_templates_create",
        request=LetterTemplateCreateSerializer,
        responses={201: LetterTemplateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="A new letter template (unknown placeholders refused)",
    )
    @idempotent
    def post(self, request):
        data = LetterTemplateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = actions.save_letter_template(None, by=request.user, fields=dict(data.validated_data))
        return Response(LetterTemplateSerializer(row).data, status=status.HTTP_201_CREATED)


class LetterTemplateDetail(GenericAPIView):
    serializer_class = LetterTemplateSerializer

    def _row(self, request, pk) -> LetterTemplate:
        require_settings_right(request.user)
        row = engagement_selectors.letter_templates(firm_id=request.user.firm_id).filter(pk=pk)
        if not row.exists():
            raise NotFound(_("No such letter template."))
        return row.get()

    @extend_schema(operation_id="letter_templates_retrieve", summary="One letter template")
    def get(self, request, pk):
        return Response(LetterTemplateSerializer(self._row(request, pk)).data)

    @extend_schema(
        operation_id="letter_templates_update",
        request=LetterTemplateWriteSerializer,
        responses={200: LetterTemplateSerializer},
        summary="Change a letter template",
    )
    def patch(self, request, pk):
        row = self._row(request, pk)
        data = LetterTemplateWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = actions.save_letter_template(row, by=request.user, fields=dict(data.validated_data))
        return Response(LetterTemplateSerializer(row).data)
