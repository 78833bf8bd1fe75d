from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Firm, User


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "siren", "vat_number"]
    search_fields = ["name", "siren", "vat_number"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "firm", "is_staff"]
    list_filter = ["firm", "is_staff", "is_superuser", "groups"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Firm"), {"fields": ("firm", "language")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Firm"), {"fields": ("firm",)}))
