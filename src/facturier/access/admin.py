"""Authenticator apps in the back office: shown, never changed there (the key stays
out of sight). Members set theirs up in Settings → Security; an administrator resets a
member's from Settings → Staff, audited."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.core.admin import ReadOnlyAdmin

from .models import SingleSignOn

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    search_fields = ["user__username"]


@admin.register(SingleSignOn)
class SingleSignOnAdmin(ReadOnlyAdmin):
    """Shown, set in Settings → Security (discovery read, audited); the secret never shown."""

    list_display = ["firm", "issuer", "client_id", "sso_only"]
    fields = [
        "firm",
        "issuer",
        "client_id",
        "sso_only",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
    ]
