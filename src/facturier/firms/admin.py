"""Firms, staff and the audit trail in the back office: saved through firms.actions."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from facturier.core.actions import from_framework
from facturier.core.admin import ReadOnlyAdmin

from . import actions, audit
from .models import AuditEvent, Firm, User


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "siren", "vat_number"]
    search_fields = ["name", "siren", "vat_number"]

    def save_model(self, request, obj, form, change):
        with from_framework():
            if change:
                changed = set(form.changed_data) & {
                    *actions.SETTINGS_FIELDS,
                    *actions.SECURITY_FIELDS,
                }
                fields = {name: form.cleaned_data[name] for name in changed}
                actions.update_firm_settings(obj.pk, by=request.user, fields=fields)
            else:
                saved = actions.create_firm(
                    by=request.user, **{n: form.cleaned_data[n] for n in form.cleaned_data}
                )
                obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False  # a firm's invoices and their numbers are kept


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "firm", "is_staff"]
    list_filter = ["firm", "is_staff", "is_superuser", "groups"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Firm"), {"fields": ("firm", "language")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Firm"), {"fields": ("firm",)}))

    def save_model(self, request, obj, form, change):
        pass  # saved with its groups and permissions by save_related, in one action

    def save_related(self, request, form, formsets, change):
        with from_framework():
            actions.save_staff_from_form(form, by=request.user, created=not change)

    def delete_model(self, request, obj):
        with from_framework():
            actions.delete_staff_member(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        with from_framework():
            for user in queryset:
                actions.delete_staff_member(user, by=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "firm", "actor", "action", "what", "target"]
    list_filter = ["action", "firm"]
    search_fields = ["target", "action"]
    date_hierarchy = "at"

    @admin.display(description=_("what happened"))
    def what(self, event: AuditEvent) -> str:
        return audit.label(event.action)
