"""Work in the admin: shown, never changed there (entries, codes and rates change in
the app, through the actions, with their audit rows; a billed entry never changes)."""

from django.contrib import admin

from .models import Entry, StaffRate, WorkCode


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkCode)
class WorkCodeAdmin(ReadOnly):
    list_display = ["code", "name", "kind", "billable", "default_rate", "firm"]
    list_filter = ["kind", "billable"]
    search_fields = ["code", "name"]


@admin.register(StaffRate)
class StaffRateAdmin(ReadOnly):
    list_display = ["staff", "work_code", "rate", "effective_from"]


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ["day", "staff", "client", "work_code", "hours", "amount", "state"]
    list_filter = ["state", "kind", "billable"]
    list_select_related = ["staff", "client", "work_code"]
    date_hierarchy = "day"
    exclude = ["receipt"]
