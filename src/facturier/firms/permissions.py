"""The firm-wide right: invoice templates, the firm's identity and numbering."""

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

# Declared on the invoicing app's Invoice model, where it was first needed.
SETTINGS_PERMISSION = "invoicing.manage_templates"


def holds(user, permission: str) -> bool:
    """Whether an active user holds "app_label.codename", given to them or to a group.

    The same answer as user.has_perm() with the model backend, in one EXISTS query
    cached on the user object for the request, instead of loading every permission
    of the user and of their groups (two queries) on each page.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    cache = user.__dict__.setdefault("_held_permissions", {})
    if permission not in cache:
        cache[permission] = granted(user, permission).exists()
    return cache[permission]


def granted(user, permission: str) -> QuerySet[Permission]:
    """The permission's row if given to the user or to one of their groups (for an
    EXISTS inside another query; `holds` asks it on its own)."""
    app_label, codename = permission.split(".")
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user), codename=codename, content_type__app_label=app_label
    )


def known(user, permission: str) -> bool | None:
    """What `holds` already answered for this request's user, or None: not asked yet."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.__dict__.get("_held_permissions", {}).get(permission)


def can_manage_settings(user) -> bool:
    return bool(user.is_authenticated and user.firm_id and holds(user, SETTINGS_PERMISSION))
