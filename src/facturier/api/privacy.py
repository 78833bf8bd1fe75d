"""Personal data through the API: a contact's or a member's data as JSON (an audited
export), and erasing it where the law allows."""

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.privacy import actions as privacy
from facturier.privacy.errors import WHAT_STAYS


class EraseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text="Why the data is erased (the person asked, ...): audited."
    )


class ErasedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    erased_at = serializers.DateTimeField()
    kept = serializers.CharField(help_text="What stays, and why (the law on invoices).")


class NoBody(serializers.Serializer):
    pass


def _erased(person) -> Response:
    return Response({"id": person.pk, "erased_at": person.erased_at, "kept": str(WHAT_STAYS)})


class ContactExport(GenericAPIView):
    serializer_class = NoBody

    @extend_schema(
        operation_id="contacts_personal_data",
        request=None,
        responses={200: OpenApiTypes.OBJECT},
        summary="Everything held about a contact, as JSON (settings right; audited)",
    )
    def post(self, request, pk):
        return Response(privacy.export_contact_data(pk, by=request.user))


class ContactErase(GenericAPIView):
    serializer_class = EraseSerializer

    @extend_schema(
        operation_id="contacts_erase",
        responses={200: ErasedSerializer},
        summary="Erase a contact's personal data; invoices keep their recipient (settings right)",
    )
    def post(self, request, pk):
        data = EraseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _erased(
            privacy.erase_contact(pk, by=request.user, reason=data.validated_data["reason"])
        )


class StaffExport(GenericAPIView):
    serializer_class = NoBody

    @extend_schema(
        operation_id="staff_personal_data",
        request=None,
        responses={200: OpenApiTypes.OBJECT},
        summary="Everything held about a member of staff, as JSON (settings right, or "
        "one's own; audited)",
    )
    def post(self, request, pk):
        return Response(privacy.export_member_data(pk, by=request.user))


class StaffErase(GenericAPIView):
    serializer_class = EraseSerializer

    @extend_schema(
        operation_id="staff_erase",
        responses={200: ErasedSerializer},
        summary="Erase a deactivated member's personal data (settings right)",
    )
    def post(self, request, pk):
        data = EraseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _erased(
            privacy.erase_member(pk, by=request.user, reason=data.validated_data["reason"])
        )
