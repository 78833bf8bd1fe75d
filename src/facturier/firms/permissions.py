"""The firm-wide right: invoice templates, the firm's identity and numbering."""

# Declared on the invoicing app's Invoice model, where it was first needed.
SETTINGS_PERMISSION = "invoicing.manage_templates"


def can_manage_settings(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.firm_id
        and user.has_perm(SETTINGS_PERMISSION)
    )
