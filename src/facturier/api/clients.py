"""The API's side of the Clients pages: archive and restore, delete one created by
mistake, merge a client created twice, its contacts, and the CSV import (a dry run
listing every refused row, then all or nothing)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from facturier.clients import actions as client_actions
from facturier.clients import imports as client_imports
from facturier.clients.permissions import visible_clients
from facturier.core.converters import MAX_ID
from facturier.core.errors import NotFound

from . import serializers as s


def _client(request, pk):
    """A client the user sees (to read its contacts); the actions find their own, which
    the settings right reaches without owning it."""
    client = visible_clients(request.user).filter(pk=pk).first()
    if client is None:
        raise NotFound(_("No such client."))
    return client


class ArchiveSerializer(serializers.Serializer):
    archived = serializers.BooleanField(
        default=True, help_text="true: hide it from lists and choices; false: bring it back."
    )


class ClientArchive(GenericAPIView):
    serializer_class = ArchiveSerializer

    @extend_schema(
        operation_id="clients_archive",
        responses={200: s.ClientSerializer},
        summary="Archive a client (its documents stay) or restore it: the settings right",
    )
    def post(self, request, pk):
        data = ArchiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client = client_actions.archive_client(
            pk, by=request.user, archived=data.validated_data["archived"]
        )
        return Response(s.ClientSerializer(client).data)


class MergeSerializer(serializers.Serializer):
    merged = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The client created twice, folded into this one."
    )


class ClientMerge(GenericAPIView):
    serializer_class = MergeSerializer

    @extend_schema(
        operation_id="clients_merge",
        responses={200: s.ClientSerializer},
        summary=(
            "Fold a client created twice into this one: documents, entries, payments, "
            "contacts and owners move; refused (merge_conflict) when currencies or "
            "identifiers differ. The settings right."
        ),
    )
    def post(self, request, pk):
        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kept = client_actions.merge_clients(
            pk, by=request.user, merged=data.validated_data["merged"]
        )
        return Response(s.ClientSerializer(kept).data)


class ContactItemSerializer(s.ContactSerializer):
    id = serializers.IntegerField(read_only=True)

    class Meta(s.ContactSerializer.Meta):
        fields = ["id", *s.ContactSerializer.Meta.fields]


class ClientContacts(GenericAPIView):
    serializer_class = ContactItemSerializer
    pagination_class = None

    @extend_schema(operation_id="clients_contacts_list", summary="The client's contacts")
    def get(self, request, pk):
        contacts = _client(request, pk).contacts.order_by("pk")
        return Response(ContactItemSerializer(contacts, many=True).data)

    @extend_schema(
        operation_id="clients_contacts_create",
        responses={201: ContactItemSerializer},
        summary="Add a contact (owner and processing, or the settings right)",
    )
    def post(self, request, pk):
        data = s.ContactSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = client_actions.add_contact(pk, by=request.user, **data.validated_data)
        return Response(ContactItemSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactDetail(GenericAPIView):
    serializer_class = ContactItemSerializer

    @extend_schema(operation_id="contacts_update", summary="Change a contact's details")
    def patch(self, request, pk):
        data = s.ContactSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        contact = client_actions.update_contact(pk, by=request.user, **data.validated_data)
        return Response(ContactItemSerializer(contact).data)

    @extend_schema(operation_id="contacts_destroy", responses={204: None})
    def delete(self, request, pk):
        client_actions.remove_contact(pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV: UTF-8 (with or without BOM) or Windows-1252.")
    dry_run = serializers.BooleanField(
        default=False, help_text="true: check every row, write nothing."
    )


class RefusedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    refused_count = serializers.IntegerField()
    refused = RefusedRowSerializer(many=True, help_text="The first 200 refused rows.")
    written = serializers.IntegerField(help_text="Clients created: all the rows, or none.")


class ClientImport(GenericAPIView):
    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="clients_import",
        request={"multipart/form-data": ImportSerializer},
        responses={200: ImportResultSerializer, 201: ImportResultSerializer},
        summary=(
            "Import clients from a CSV: a dry run lists every refused row with its line, "
            "column and reason; an import creates every row or none (the settings right)."
        ),
    )
    def post(self, request):
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > client_imports.MAX_BYTES:
            raise ValidationError({"file": [_("The file is larger than 16 MB.")]})
        content = upload.read()
        if data.validated_data["dry_run"]:
            report = client_imports.dry_run(request.user, content)
        else:
            report = client_imports.import_clients(by=request.user, data=content)
        body = {
            "rows": report.rows,
            "refused_count": report.refused_count,
            "refused": [
                {"line": line, "column": column, "reason": why}
                for line, column, why in report.refused
            ],
            "written": report.written,
        }
        if not report.ok:
            return Response(
                {"code": "rows_refused", "message": _("Some rows are refused."), **body},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(body, status=status.HTTP_201_CREATED if report.written else 200)
