"""Payments in the back office: shown, never changed there (the Billing app's payment
pages and the API change them, with their rights and the invoices' history)."""

from django.contrib import admin

from facturier.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Allocation, Payment


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ["invoice", "amount", "on", "created_by", "created_at"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "client", "amount", "currency", "method", "unallocated"]
    list_filter = ["firm", "method", "currency"]
    search_fields = ["reference", "client__name"]
    date_hierarchy = "received_on"
    inlines = [AllocationInline]
