"""The firm-wide right: invoice templates, the firm's identity and numbering."""

from django.contrib.auth.models import Permission
from django.db.models import Q

# Declared on the invoicing app's Invoice model, where it was first needed.
SETTINGS_PERMISSION = "invoicing.manage_templates"


def holds(user, permission: str) -> bool:
    """Whether an active user holds "app_label.codename", given to them or to a group.

    The same answer as user.has_perm() with the model backend. The first call of a
    request reads every permission the user holds, directly or by a group, in one
    query (has_perm takes two), and keeps them on the user object: a page asks two or
    three of them.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    held = user.__dict__.get("_held_permissions")
    if held is None:
        held = user.__dict__["_held_permissions"] = frozenset(
            f"{app_label}.{codename}"
            for app_label, codename in Permission.objects.filter(
                Q(user=user) | Q(group__user=user)
            ).values_list("content_type__app_label", "codename")
        )
    return permission in held


def can_manage_settings(user) -> bool:
    return bool(user.is_authenticated and user.firm_id and holds(user, SETTINGS_PERMISSION))
