"""Check a client in the e-invoicing directory (annex B): the routing lines its SIREN
(and SIRET) has, each with whether it is usable now, read from the firm's platform."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from facturier.clients.permissions import visible_clients
from facturier.core.errors import NotFound
from facturier.einvoicing import directory


class DirectoryLineSerializer(serializers.Serializer):
    electronic_address = serializers.CharField(
        help_text="As the client's e-invoicing address is written: 0225:<addressing id>."
    )
    siret = serializers.CharField(help_text="The facility it is for; empty: the company.")
    suffix = serializers.CharField()
    routing_identifier = serializers.CharField()
    routing_name = serializers.CharField()
    platform_type = serializers.CharField(help_text="WK: an approved platform; DFH: public.")
    valid = serializers.BooleanField(
        help_text="Usable now: its platform enabled, its routing code and company not closed."
    )


class DirectoryCheckSerializer(serializers.Serializer):
    siren = serializers.CharField()
    siret = serializers.CharField()
    checked_at = serializers.DateTimeField()
    in_directory = serializers.BooleanField(help_text="At least one usable line.")
    lines = DirectoryLineSerializer(many=True)


class ClientDirectory(GenericAPIView):
    serializer_class = DirectoryCheckSerializer

    @extend_schema(
        operation_id="clients_directory",
        summary=(
            "Check in the directory: the routing lines of the client's SIREN (and SIRET), "
            "with their validity, from the firm's e-invoicing platform."
        ),
    )
    def get(self, request, pk):
        client = visible_clients(request.user).filter(pk=pk).first()
        if client is None:
            raise NotFound("No such client.")
        siren, siret, lines = directory.lookup(
            firm_id=client.firm_id, company_id=client.company_id, country=client.country
        )
        return Response(
            DirectoryCheckSerializer(
                {
                    "siren": siren,
                    "siret": siret,
                    "checked_at": timezone.now(),
                    "in_directory": any(line.valid for line in lines),
                    "lines": lines,
                }
            ).data
        )
