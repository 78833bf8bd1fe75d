"""Back-office views. Invoices are read-only here: their lifecycle goes through
the same actions as the app (admin actions below), so the rights, the frozen
content and the audit trail hold on this path too."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from facturier.core.actions import from_framework
from facturier.core.admin import ReadOnlyAdmin
from facturier.core.errors import DomainError

from . import actions
from .models import (
    EmailDelivery,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceTemplate,
)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["position", "description", "quantity", "unit_price", "vat_rate", "discount_percent"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _run_bulk(modeladmin, request, queryset, action, done_message):
    try:
        done = action(list(queryset), by=request.user)
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
    else:
        modeladmin.message_user(request, done_message(len(done)), messages.SUCCESS)


@admin.action(description=_("Finalize selected drafts"))
def finalize_selected(modeladmin, request, queryset):
    count = 0
    for invoice in queryset.order_by("id"):
        try:
            actions.finalize_invoice(invoice, by=request.user)
            count += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{invoice}: {exc.message}", messages.ERROR)
    if count:
        modeladmin.message_user(
            request,
            ngettext("%d invoice finalized.", "%d invoices finalized.", count) % count,
            messages.SUCCESS,
        )


@admin.action(description=_("Close selected invoices"))
def close_selected(modeladmin, request, queryset):
    _run_bulk(
        modeladmin,
        request,
        queryset,
        actions.close_invoices,
        lambda n: ngettext("%d invoice closed.", "%d invoices closed.", n) % n,
    )


@admin.action(description=_("Revert selected invoices to Finalized"))
def reopen_selected(modeladmin, request, queryset):
    _run_bulk(
        modeladmin,
        request,
        queryset,
        actions.reopen_invoices,
        lambda n: (
            ngettext("%d invoice reverted to Finalized.", "%d invoices reverted to Finalized.", n)
            % n
        ),
    )


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "client", "status", "issue_date", "total_gross", "sent_count"]
    list_filter = ["status", "firm"]
    search_fields = ["number", "client__name"]
    date_hierarchy = "issue_date"
    list_select_related = ["client"]
    inlines = [InvoiceLineInline]
    actions = [finalize_selected, close_selected, reopen_selected]
    readonly_fields = [
        "firm",
        "client",
        "status",
        "number",
        "issue_date",
        "due_date",
        "payment_terms_days",
        "currency",
        "notes",
        "template",
        "total_net",
        "total_vat",
        "total_gross",
        "finalized_at",
        "finalized_by",
        "closed_at",
        "closed_by",
        "last_sent_at",
        "sent_count",
        "created_at",
        "created_by",
        "snapshot",
        "history",
    ]

    @admin.display(description=_("history"))
    def history(self, obj):
        """The invoice's rows of the audit trail, as its page reads them."""
        from django.utils.html import format_html, format_html_join

        from .history import describe
        from .selectors import invoice_events

        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} — {} — {}</li>",
                ((e.at, e.actor or "", describe(e)) for e in invoice_events(invoice=obj)),
            ),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # shown; changed by the lifecycle actions above only

    def get_deleted_objects(self, objs, request):
        # The lines go with their draft through the delete action: deleting them needs
        # no right of its own (they are read-only here).
        to_delete, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return to_delete, counts, set(), protected

    def delete_model(self, request, obj):
        with from_framework():
            actions.delete_draft(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        with from_framework():
            actions.delete_drafts(list(queryset), by=request.user)  # all, or none

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            from django.shortcuts import redirect

            return redirect("admin:invoicing_invoice_changelist")


@admin.register(InvoiceTemplate)
class InvoiceTemplateAdmin(ReadOnlyAdmin):
    """Edited in Settings → Invoice templates (with its live preview)."""

    list_display = ["name", "firm", "is_default", "archived_at"]
    list_filter = ["firm"]
    exclude = ["logo"]


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnlyAdmin):
    """Edited in Settings → Invoicing, under the lock finalizations take."""

    list_display = ["firm", "prefix", "padding_char", "padding_length", "next_number"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "firm"]
    search_fields = ["invoice__number", "message_id"]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(admin.ModelAdmin):
    list_display = ["invoice", "description", "quantity", "unit_price", "vat_rate"]
    search_fields = ["description", "invoice__number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
