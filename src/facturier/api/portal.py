"""The client portal from the firm's side: invite a client's contact (a sign-in link by
e-mail), list who has access, revoke it. The same rights as the client's contacts."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.clients.permissions import visible_clients
from facturier.portal import actions
from facturier.portal import selectors as portal_selectors
from facturier.portal.models import PortalAccess

from .idempotency import IDEMPOTENCY_HEADER, idempotent


class PortalAccessSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="contact.client_id", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    email = serializers.EmailField(source="contact.email", read_only=True)
    active = serializers.BooleanField(read_only=True, help_text="False once revoked.")

    class Meta:
        model = PortalAccess
        fields = [
            "id",
            "client",
            "contact",
            "contact_name",
            "email",
            "invited_at",
            "invited_by",
            "last_signed_in_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    contact = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="A contact of this client."
    )


class PortalAccesses(GenericAPIView):
    serializer_class = PortalAccessSerializer

    @extend_schema(
        operation_id="portal_accesses_list",
        responses={200: PortalAccessSerializer(many=True)},
        summary="The contacts invited to the client portal, of the clients you see",
    )
    def get(self, request):
        rows = portal_selectors.accesses(clients=visible_clients(request.user))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(PortalAccessSerializer(page, many=True).data)

    @extend_schema(
        operation_id="portal_accesses_invite",
        request=InviteSerializer,
        responses={201: PortalAccessSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary=(
            "Invite a client's contact to the portal: a sign-in link is e-mailed (again for "
            "one already invited); contact_of_another_client, contact_archived"
        ),
    )
    @idempotent
    def post(self, request):
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access = actions.invite_contact(
            data.validated_data["client"],
            by=request.user,
            contact=data.validated_data["contact"],
            site=request.build_absolute_uri("/"),
        )
        return Response(PortalAccessSerializer(access).data, status=status.HTTP_201_CREATED)


class RevokePortalAccess(GenericAPIView):
    serializer_class = PortalAccessSerializer

    @extend_schema(
        operation_id="portal_accesses_revoke",
        request=None,
        responses={200: PortalAccessSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Revoke a contact's portal access: their links and sessions stop at once",
    )
    @idempotent
    def post(self, request, pk):
        access = actions.revoke_access(pk, by=request.user)
        return Response(PortalAccessSerializer(access).data)
