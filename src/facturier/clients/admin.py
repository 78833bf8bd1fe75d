"""Clients in the back office, saved with their owners and contacts through
clients.actions (the same rights and audit trail as the API)."""

from django.contrib import admin

from facturier.core.actions import from_framework
from facturier.core.admin import ReadOnlyAdmin

from . import actions
from .models import Client, Contact


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "firm", "city", "language", "currency", "archived_at"]
    list_filter = ["firm", "language"]
    search_fields = ["name", "company_id", "vat_number"]
    filter_horizontal = ["owners"]
    inlines = [ContactInline]

    def get_readonly_fields(self, request, obj=None):
        return ["firm"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        pass  # saved with its owners and contacts by save_related, in one action

    def save_formset(self, request, form, formset, change):
        # Contacts are handed to the action by save_related; the admin's history
        # message reads what a formset saved: nothing here.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in actions.FIELDS if name in data}
        contacts = [
            {name: data[name] for name in actions.CONTACT_FIELDS if name in data}
            for formset in formsets
            for data in (f.cleaned_data for f in formset.forms)
            if data and not data.get("DELETE")
        ]
        owners = list(form.cleaned_data.get("owners", []))
        for formset in formsets:
            self.save_formset(request, form, formset, change)
        with from_framework():
            if change:
                actions.update_client(
                    form.instance.pk, by=request.user, contacts=contacts, owners=owners, **fields
                )
            else:
                client = actions.create_client(
                    by=request.user,
                    firm_id=form.cleaned_data["firm"].pk,
                    contacts=contacts,
                    owners=owners,
                    **fields,
                )
                form.instance.pk = client.pk

    def has_delete_permission(self, request, obj=None):
        return False  # a client's invoices keep it


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["name", "email", "client", "is_billing"]
    search_fields = ["name", "email", "client__name"]
