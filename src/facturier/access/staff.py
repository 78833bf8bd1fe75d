"""The rights a firm's administrator gives its members, and who holds them."""

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from facturier.firms.models import User
from facturier.firms.permissions import SETTINGS_PERMISSION

# Every right a member may be given on the Staff page, as "app_label.codename".
RIGHTS = {
    "invoicing.process_invoices": _("Processing (invoices, payments, reminders)"),
    SETTINGS_PERMISSION: _("Settings (the firm, its staff, templates)"),
    "work.process_own_entries": _("Own time and expense entries"),
    "work.process_all_entries": _("Everyone's time and expense entries"),
}


def permission_objects(names) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    return [
        permission
        for permission in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _app, codename in wanted]
        )
        if (permission.content_type.app_label, permission.codename) in wanted
    ]


def _held_by(name: str) -> Q:
    app_label, codename = name.split(".", 1)
    permission = Q(content_type__app_label=app_label, codename=codename)
    return Q(pk__in=Permission.objects.filter(permission).values("user")) | Q(
        pk__in=Permission.objects.filter(permission).values("group__user")
    )


def members(firm_id: int) -> QuerySet[User]:
    return User.objects.filter(firm_id=firm_id).order_by("-is_active", "last_name", "username")


def active_settings_holders(firm_id: int) -> QuerySet[User]:
    """The firm's active members holding the settings right (directly or by a role)."""
    return members(firm_id).filter(is_active=True).filter(_held_by(SETTINGS_PERMISSION))


def rights_of(user: User) -> dict[str, str]:
    """How `user` holds each right: "direct", "role" (by a group) or absent."""
    held: dict[str, str] = {}
    direct = {
        f"{app}.{code}"
        for app, code in user.user_permissions.values_list("content_type__app_label", "codename")
    }
    by_role = {
        f"{app}.{code}"
        for app, code in Permission.objects.filter(group__user=user).values_list(
            "content_type__app_label", "codename"
        )
    }
    for name in RIGHTS:
        if name in direct:
            held[name] = "direct"
        elif name in by_role:
            held[name] = "role"
    return held
