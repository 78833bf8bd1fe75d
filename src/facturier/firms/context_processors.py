from facturier.invoicing.permissions import TEMPLATES_PERMISSION


def navigation(request):
    user = getattr(request, "user", None)
    can_manage = bool(
        user and user.is_authenticated and user.firm_id and user.has_perm(TEMPLATES_PERMISSION)
    )
    return {"can_manage_settings": can_manage}
