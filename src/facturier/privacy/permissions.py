"""Who may export and erase personal data: the settings right, in the person's firm; a
member may also export their own."""

from facturier.firms.permissions import can_manage_settings


def may_export_member(user, member) -> bool:
    return bool(
        user.is_authenticated
        and user.firm_id
        and user.firm_id == member.firm_id
        and (user.pk == member.pk or can_manage_settings(user))
    )


def may_manage_personal_data(user) -> bool:
    """Exporting any contact's or member's data, and erasing it."""
    return can_manage_settings(user)
