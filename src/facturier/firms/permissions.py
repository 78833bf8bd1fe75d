"""The firm-wide right: invoice templates, the firm's identity and numbering."""

from django.contrib.auth.models import Permission
from django.db.models import Q

# Declared on the invoicing app's Invoice model, where it was first needed.
SETTINGS_PERMISSION = "invoicing.manage_templates"


def holds(user, permission: str) -> bool:
    """Whether an active user holds "app_label.codename", given to them or to a group.

    The same answer as user.has_perm() with the model backend. A request's user comes
    with every permission it holds (firms.backends, the same query as the user); any
    other user reads them in one query at its first question (has_perm takes two), and
    keeps them on the user object.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    # (Attributes, not user.__dict__: a request's user is a lazy object around it.)
    held = getattr(user, "_held_permissions", None)
    if held is None:
        held = remember_held(
            user,
            (
                f"{app_label}.{codename}"
                for app_label, codename in Permission.objects.filter(
                    Q(user=user) | Q(group__user=user)
                ).values_list("content_type__app_label", "codename")
            ),
        )
    return permission in held


def remember_held(user, names) -> frozenset[str]:
    """Keep on `user` the permissions it holds, as "app_label.codename" names."""
    held = frozenset(name for name in names if name)
    user._held_permissions = held
    return held


def can_manage_settings(user) -> bool:
    return bool(user.is_authenticated and user.firm_id and holds(user, SETTINGS_PERMISSION))
