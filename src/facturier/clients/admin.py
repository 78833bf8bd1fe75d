from django.contrib import admin

from .models import Client, Contact


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "firm", "city", "language", "currency"]
    list_filter = ["firm", "language"]
    search_fields = ["name", "company_id", "vat_number"]
    filter_horizontal = ["owners"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "client", "is_billing"]
    search_fields = ["name", "email", "client__name"]
