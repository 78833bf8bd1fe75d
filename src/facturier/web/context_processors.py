from facturier.firms.permissions import can_manage_settings


def navigation(request):
    user = getattr(request, "user", None)
    return {"can_manage_settings": bool(user is not None and can_manage_settings(user))}
