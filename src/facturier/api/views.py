"""The REST API: one view per operation, each calling one selector or action."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from facturier.clients import actions as client_actions
from facturier.clients.permissions import can_process, visible_clients
from facturier.core.converters import row_id
from facturier.core.validators import validate_single_line
from facturier.firms.permissions import can_manage_settings
from facturier.invoicing import actions
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import InvoiceTemplate
from facturier.invoicing.selectors import (
    PAYMENT_FILTERS,
    InvoiceFilters,
    invoice_detail,
    invoice_events,
    invoice_list,
    stored_pdf,
)
from facturier.receivables import actions as receivables
from facturier.receivables.bank_files import MAX_BYTES
from facturier.receivables.selectors import (
    client_credit,
    client_owed,
    payment_detail,
    payment_list,
    statement_detail,
)

from . import serializers as s
from .idempotency import IDEMPOTENCY_HEADER, idempotent


def _invoice(request, pk: int):
    """The invoice for reading; actions take the id and read it themselves, once."""
    invoice = invoice_detail(user=request.user, pk=pk)
    if invoice is None:
        raise NotFound(_("No such invoice."))
    return invoice


def _shown(invoice):
    """The answer for an invoice an action returned (no second read of it)."""
    return s.InvoiceSerializer(invoice).data


# --- clients ----------------------------------------------------------------------------


class ClientList(ListAPIView):
    serializer_class = s.ClientSerializer

    def get_queryset(self):
        return (
            visible_clients(self.request.user)
            .prefetch_related("contacts", "owners")
            .order_by("sort_name", "id")
        )

    @extend_schema(operation_id="clients_list", summary="Clients you may see")
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="clients_create",
        responses={201: s.ClientSerializer},
        summary="Create a client (needs the settings right; you become its owner)",
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = client_actions.create_client(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(client).data, status=status.HTTP_201_CREATED)


class ClientDetail(GenericAPIView):
    serializer_class = s.ClientSerializer

    def get_object(self):
        client = visible_clients(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if client is None:
            raise NotFound(_("No such client."))
        return client

    @extend_schema(operation_id="clients_retrieve")
    def get(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(operation_id="clients_update")
    def patch(self, request, pk):
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        client = client_actions.update_client(pk, by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(client).data)

    @extend_schema(
        operation_id="clients_destroy",
        responses={204: None},
        summary="Delete a client created by mistake: refused (client_has_documents) once it "
        "has any document, entry or payment; the settings right",
    )
    def delete(self, request, pk):
        client_actions.delete_client(pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- invoices ---------------------------------------------------------------------------


STATUS_PARAM = OpenApiParameter(
    "status",
    OpenApiTypes.STR,
    description="Comma-separated: draft,finalized,closed (default: every status but closed)",
)
LIST_PARAMS = [
    STATUS_PARAM,
    OpenApiParameter("client", OpenApiTypes.INT),
    OpenApiParameter("issued_after", OpenApiTypes.DATE),
    OpenApiParameter("issued_before", OpenApiTypes.DATE),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in the number or client name"),
    OpenApiParameter(
        "payment",
        OpenApiTypes.STR,
        description="Comma-separated: unpaid,partly_paid,overdue (issued invoices that owe)",
    ),
]


def _filters(params) -> InvoiceFilters:
    errors = {}
    statuses = frozenset(v for v in params.get("status", "").split(",") if v)
    if statuses - set(InvoiceStatus.values):
        errors["status"] = [f"Use {', '.join(InvoiceStatus.values)}."]
    payment = frozenset(v for v in params.get("payment", "").split(",") if v)
    if payment - set(PAYMENT_FILTERS):
        errors["payment"] = [f"Use {', '.join(PAYMENT_FILTERS)}."]
    client = params.get("client")
    if client is not None and row_id(client) is None:
        errors["client"] = ["A client id."]
    q = params.get("q", "")
    try:
        validate_single_line(q)
    except DjangoValidationError:
        errors["q"] = ["Text without control characters."]
    dates = {}
    for name in ("issued_after", "issued_before"):
        if name in params:  # present but empty is a malformed date, not "any day"
            try:
                dates[name] = datetime.date.fromisoformat(params[name])
            except ValueError:
                errors[name] = ["A date as YYYY-MM-DD."]
    if errors:
        raise ValidationError(errors)
    return InvoiceFilters(
        statuses=statuses,
        client_id=int(client) if client else None,
        q=q[:100],
        payment=payment,
        **dates,
    )


class InvoiceList(ListAPIView):
    serializer_class = s.InvoiceSerializer

    def get_queryset(self):
        filters = _filters(self.request.query_params)
        return invoice_list(user=self.request.user, filters=filters).prefetch_related("lines")

    @extend_schema(
        operation_id="invoices_list",
        parameters=LIST_PARAMS,
        summary="Invoices you may see, newest first",
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="invoices_create",
        request=s.InvoiceWriteSerializer,
        responses={201: s.InvoiceSerializer},
        summary="Create a draft with its lines",
    )
    def post(self, request):
        data = s.InvoiceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = actions.create_draft(by=request.user, **data.validated_data)
        return Response(_shown(invoice), status=status.HTTP_201_CREATED)


class InvoiceDetail(GenericAPIView):
    serializer_class = s.InvoiceSerializer

    @extend_schema(operation_id="invoices_retrieve")
    def get(self, request, pk):
        return Response(self.get_serializer(_invoice(request, pk)).data)

    @extend_schema(
        operation_id="invoices_update",
        request=s.InvoiceWriteSerializer,
        summary="Change a draft (lines, when given, replace the old ones)",
    )
    def patch(self, request, pk):
        data = s.InvoiceWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(_shown(actions.update_draft(pk, by=request.user, **data.validated_data)))

    @extend_schema(operation_id="invoices_destroy", responses={204: None}, summary="Delete a draft")
    def delete(self, request, pk):
        actions.delete_draft(pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvoiceFinalize(GenericAPIView):
    serializer_class = s.FinalizeSerializer

    @extend_schema(
        operation_id="invoices_finalize",
        request=s.FinalizeSerializer,
        responses={200: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Finalize a draft: it gets its number",
    )
    @idempotent
    def post(self, request, pk):
        data = s.FinalizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = actions.finalize_invoice(
            pk, by=request.user, template=data.validated_data.get("template")
        )
        return Response(_shown(invoice))


class _StatusChange(GenericAPIView):
    serializer_class = s.InvoiceSerializer
    change = None  # the lifecycle action, set by each subclass

    @idempotent
    def post(self, request, pk):
        (invoice,) = type(self).change([pk], by=request.user)
        return Response(_shown(invoice))


class InvoiceClose(_StatusChange):
    change = actions.close_invoices

    @extend_schema(
        operation_id="invoices_close",
        request=None,
        parameters=[IDEMPOTENCY_HEADER],
        summary="Close a finalized invoice",
    )
    def post(self, request, pk):
        return super().post(request, pk)


class InvoiceReopen(_StatusChange):
    change = actions.reopen_invoices

    @extend_schema(
        operation_id="invoices_reopen",
        request=None,
        parameters=[IDEMPOTENCY_HEADER],
        summary="Revert a closed invoice to Finalized",
    )
    def post(self, request, pk):
        return super().post(request, pk)


class PdfRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class BinaryView(GenericAPIView):
    """Answers a file; errors answer in JSON, like everywhere else, whatever the client
    asked for."""

    serializer_class = None
    renderer_classes = [PdfRenderer, JSONRenderer]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class InvoicePdf(BinaryView):
    @extend_schema(
        operation_id="invoices_pdf",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The PDF: frozen for a finalized invoice, a preview for a draft",
    )
    def get(self, request, pk):
        stored = stored_pdf(user=request.user, pk=pk)
        if stored is not None:  # the common case, in one query, as in the web's View PDF
            number, pdf = stored
            name = f"{number}.pdf"
        else:
            invoice = _invoice(request, pk)
            pdf = actions.pdf_for(invoice)
            name = f"{invoice.number}.pdf" if invoice.number else f"draft-{invoice.pk}.pdf"
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response


class XmlRenderer(PdfRenderer):
    media_type = "application/xml"
    format = "xml"


class InvoiceXml(InvoicePdf):
    renderer_classes = [XmlRenderer, JSONRenderer]

    @extend_schema(
        operation_id="invoices_xml",
        parameters=[
            OpenApiParameter(
                "syntax",
                OpenApiTypes.STR,
                enum=["cii", "ubl"],
                description="cii (Factur-X, the default) or ubl (Peppol BIS Billing 3.0)",
            )
        ],
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The e-invoice XML (EN 16931) of a finalized invoice",
    )
    def get(self, request, pk):
        invoice = _invoice(request, pk)
        if invoice.is_draft or not invoice.snapshot.get("einvoice"):
            raise NotFound(_("Only finalized e-invoices have an XML."))
        syntax = request.query_params.get("syntax", "cii")
        if syntax not in ("cii", "ubl"):
            raise ValidationError({"syntax": [_("Use cii or ubl.")]})
        response = HttpResponse(
            actions.einvoice_xml(invoice, syntax), content_type="application/xml"
        )
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}-{syntax}.xml"'
        return response


class InvoiceSend(GenericAPIView):
    serializer_class = s.EmailSerializer

    @extend_schema(
        operation_id="invoices_send",
        request=s.EmailSerializer,
        responses={202: s.DeliverySerializer(many=True)},
        parameters=[IDEMPOTENCY_HEADER],
        summary="E-mail one finalized invoice: a send the first time, a resend after",
    )
    @idempotent
    def post(self, request, pk):
        data = s.EmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deliveries = actions.send_invoices(
            [pk], by=request.user, resend=None, **data.validated_data
        )
        return Response(
            s.DeliverySerializer(deliveries, many=True).data, status=status.HTTP_202_ACCEPTED
        )


class InvoiceBulkSend(GenericAPIView):
    serializer_class = s.BulkSendSerializer

    @extend_schema(
        operation_id="invoices_send_bulk",
        request=s.BulkSendSerializer,
        responses={202: s.DeliverySerializer(many=True)},
        parameters=[IDEMPOTENCY_HEADER],
        summary="E-mail several never-sent invoices, each to its own client",
    )
    @idempotent
    def post(self, request):
        data = s.BulkSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        ids = values.pop("invoices")
        deliveries = actions.send_invoices(list(dict.fromkeys(ids)), by=request.user, **values)
        return Response(
            s.DeliverySerializer(deliveries, many=True).data, status=status.HTTP_202_ACCEPTED
        )


class InvoiceEvents(ListAPIView):
    serializer_class = s.EventSerializer

    def get_queryset(self):
        invoice = _invoice(self.request, self.kwargs["pk"])
        return invoice_events(invoice=invoice)

    @extend_schema(operation_id="invoices_events", summary="The audit trail")
    def get(self, request, pk):
        return self.list(request)


class InvoiceDeliveries(ListAPIView):
    serializer_class = s.DeliverySerializer

    def get_queryset(self):
        return _invoice(self.request, self.kwargs["pk"]).deliveries.order_by("-id")

    @extend_schema(operation_id="invoices_deliveries", summary="E-mails of this invoice")
    def get(self, request, pk):
        return self.list(request)


class InvoiceTransmissions(ListAPIView):
    serializer_class = s.TransmissionSerializer

    def get_queryset(self):
        invoice = _invoice(self.request, self.kwargs["pk"])
        return invoice.transmissions.prefetch_related("statuses").order_by("id")

    @extend_schema(
        operation_id="invoices_transmissions",
        summary="Deposits with the e-invoicing platform and their lifecycle statuses",
    )
    def get(self, request, pk):
        return self.list(request)


# --- templates --------------------------------------------------------------------------


def _templates(user):
    """Templates are read by who may finalize with one (processing) or manage them."""
    if not (can_process(user) or can_manage_settings(user)):
        return InvoiceTemplate.objects.none()
    return InvoiceTemplate.objects.filter(firm_id=user.firm_id)


class TemplateList(ListAPIView):
    serializer_class = s.TemplateSerializer

    def get_queryset(self):
        return _templates(self.request.user).order_by("name", "id")

    @extend_schema(operation_id="templates_list")
    def get(self, request):
        return self.list(request)

    @extend_schema(operation_id="templates_create", responses={201: s.TemplateSerializer})
    def post(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = actions.save_template(by=request.user, fields=data.validated_data)
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)


class TemplateDetail(GenericAPIView):
    serializer_class = s.TemplateSerializer

    def get_object(self):
        template = _templates(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if template is None:
            raise NotFound(_("No such invoice template."))
        return template

    @extend_schema(operation_id="templates_retrieve")
    def get(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(operation_id="templates_update")
    def patch(self, request, pk):
        template = self.get_object()
        data = self.get_serializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        template = actions.save_template(
            by=request.user, template=template, fields=data.validated_data
        )
        return Response(self.get_serializer(template).data)


# --- payments ---------------------------------------------------------------------------


class PaymentList(ListAPIView):
    serializer_class = s.PaymentSerializer

    def get_queryset(self):
        client = self.request.query_params.get("client")
        if client is not None and row_id(client) is None:
            raise ValidationError({"client": [_("A client id.")]})
        return payment_list(
            user=self.request.user, client_id=row_id(client) if client else None
        ).prefetch_related("allocations__invoice")

    @extend_schema(
        operation_id="payments_list",
        parameters=[OpenApiParameter("client", OpenApiTypes.INT)],
        summary="Payments you may see, latest first",
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="payments_create",
        request=s.PaymentWriteSerializer,
        responses={201: s.PaymentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Record a payment and allocate it (needs the processing permission)",
    )
    @idempotent
    def post(self, request):
        data = s.PaymentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = receivables.record_payment(by=request.user, **data.validated_data)
        return Response(_payment(request, payment.pk), status=status.HTTP_201_CREATED)


def _payment(request, pk: int):
    payment = payment_detail(user=request.user, pk=pk)
    if payment is None:
        raise NotFound(_("No such payment."))
    return s.PaymentSerializer(payment).data


class PaymentDetail(GenericAPIView):
    serializer_class = s.PaymentSerializer

    @extend_schema(operation_id="payments_retrieve")
    def get(self, request, pk):
        return Response(_payment(request, pk))

    @extend_schema(
        operation_id="payments_update",
        request=s.PaymentUpdateSerializer,
        summary="Correct a payment's date, amount, method or reference",
    )
    def patch(self, request, pk):
        data = s.PaymentUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        receivables.update_payment(pk, by=request.user, **data.validated_data)
        return Response(_payment(request, pk))

    @extend_schema(
        operation_id="payments_destroy",
        responses={204: None},
        summary="Delete a payment: the invoices it paid owe the amounts again",
    )
    def delete(self, request, pk):
        receivables.delete_payment(pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaymentAllocate(GenericAPIView):
    serializer_class = s.AllocateSerializer

    @extend_schema(
        operation_id="payments_allocate",
        request=s.AllocateSerializer,
        responses={200: s.PaymentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Allocate what a payment has left (the client's credit) to invoices",
    )
    @idempotent
    def post(self, request, pk):
        data = s.AllocateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receivables.allocate_payment(
            pk, by=request.user, allocations=data.validated_data.get("allocations")
        )
        return Response(_payment(request, pk))


class PaymentRefund(GenericAPIView):
    serializer_class = s.RefundSerializer

    @extend_schema(
        operation_id="payments_refund",
        request=s.RefundSerializer,
        responses={200: s.PaymentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Record that part of a payment's remainder was refunded to the client",
    )
    @idempotent
    def post(self, request, pk):
        data = s.RefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receivables.refund_credit(pk, by=request.user, **data.validated_data)
        return Response(_payment(request, pk))


class AllocationDetail(GenericAPIView):
    serializer_class = None

    @extend_schema(
        operation_id="allocations_destroy",
        request=None,
        responses={204: None},
        summary="Remove an allocation: the invoice owes the amount again",
    )
    def delete(self, request, pk):
        receivables.remove_allocation(pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientAccount(GenericAPIView):
    serializer_class = s.ClientAccountSerializer

    @extend_schema(
        operation_id="clients_account", summary="What a client owes and its credit, per currency"
    )
    def get(self, request, pk):
        if not visible_clients(request.user).filter(pk=pk).exists():
            raise NotFound(_("No such client."))
        owed = client_owed(user=request.user, client_id=pk)
        credit = client_credit(user=request.user, client_id=pk)
        return Response(
            s.ClientAccountSerializer(
                {
                    "owed": [{"currency": c, "amount": a} for c, a in owed.items()],
                    "credit": [{"currency": c, "amount": a} for c, a in credit.items()],
                }
            ).data
        )


# --- credit notes -----------------------------------------------------------------------


class InvoiceCreditNote(GenericAPIView):
    serializer_class = s.CreditNoteSerializer

    @extend_schema(
        operation_id="invoices_credit_note",
        request=s.CreditNoteSerializer,
        responses={201: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary=(
            "Draft a credit note for an issued invoice: all of it (no lines nor amounts), "
            "some lines, or an amount per VAT rate. Finalize, send and fetch its PDF and "
            "XML as an invoice's."
        ),
    )
    @idempotent
    def post(self, request, pk):
        data = s.CreditNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credit_note = actions.create_credit_note(pk, by=request.user, **data.validated_data)
        return Response(_shown(credit_note), status=status.HTTP_201_CREATED)


class CreditNoteAllocate(GenericAPIView):
    serializer_class = s.AllocateSerializer

    @extend_schema(
        operation_id="credit_notes_allocate",
        request=s.AllocateSerializer,
        responses={200: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Allocate the credit a credit note left to the client's invoices",
    )
    @idempotent
    def post(self, request, pk):
        data = s.AllocateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receivables.allocate_credit_note(
            pk, by=request.user, allocations=data.validated_data.get("allocations")
        )
        return Response(_shown(_invoice(request, pk)))


class CreditNoteRefund(GenericAPIView):
    serializer_class = s.RefundSerializer

    @extend_schema(
        operation_id="credit_notes_refund",
        request=s.RefundSerializer,
        responses={200: s.InvoiceSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Record that the credit a credit note left was paid back to the client",
    )
    @idempotent
    def post(self, request, pk):
        data = s.RefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receivables.refund_credit_note(pk, by=request.user, **data.validated_data)
        return Response(_shown(_invoice(request, pk)))


# --- bank statements --------------------------------------------------------------------


class StatementList(GenericAPIView):
    serializer_class = s.StatementImportSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="statements_import",
        request={"multipart/form-data": s.StatementImportSerializer},
        responses={201: s.StatementSerializer},
        summary=(
            "Import a bank file (camt.053, camt.052, camt.054, MT940 or CSV): every "
            "transaction of it, each credit with the invoice it most likely pays and that "
            "invoice's standing, each other one set aside with its reason, each one an "
            "earlier file brought listed as a duplicate; the summary's imported, set_aside "
            "and duplicates add up to its transactions. A file with no new credit is refused."
        ),
    )
    def post(self, request):
        data = s.StatementImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("file")
        fmt = values.pop("format", "auto")
        if upload.size > MAX_BYTES:
            raise ValidationError({"file": [_("The file is larger than 5 MB.")]})
        statement = receivables.import_bank_statement(
            by=request.user,
            data=upload.read(),
            filename=upload.name,
            fmt=fmt,
            mapping=values or None,
        )
        return Response(s.StatementSerializer(statement).data, status=status.HTTP_201_CREATED)


def _statement(request, pk):
    statement = statement_detail(user=request.user, pk=pk)
    if statement is None:
        raise NotFound(_("No such bank statement."))
    return statement


class StatementDetail(GenericAPIView):
    serializer_class = s.StatementSerializer

    @extend_schema(operation_id="statements_retrieve")
    def get(self, request, pk):
        return Response(self.get_serializer(_statement(request, pk)).data)


class StatementConfirm(GenericAPIView):
    serializer_class = s.ConfirmSerializer

    @extend_schema(
        operation_id="statements_confirm",
        request=s.ConfirmSerializer,
        responses={200: s.StatementSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Record lines as payments of the invoices given, or set them aside",
    )
    @idempotent
    def post(self, request, pk):
        data = s.ConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = _statement(request, pk)
        receivables.confirm_statement_lines(
            statement, by=request.user, decisions=data.validated_data["decisions"]
        )
        return Response(s.StatementSerializer(_statement(request, pk)).data)
