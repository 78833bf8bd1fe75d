from django.urls import path

from . import einvoicing as einvoicing_views
from . import engagement_settings, work_settings
from . import reminders as reminder_views
from . import settings as views
from . import tokens as api_web

app_name = "settings"

urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_new"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("templates/<id:pk>/", views.template_edit, name="template"),
    path("templates/<id:pk>/logo/", views.template_logo, name="template_logo"),
    path("templates/<id:pk>/default/", views.template_set_default, name="template_default"),
    path("templates/<id:pk>/archive/", views.template_archive, name="template_archive"),
    path("invoicing/", views.firm_settings, name="firm"),
    path("work/", views.manager_only(work_settings.work_settings), name="work"),
    path("reminders/", views.manager_only(reminder_views.reminder_settings), name="reminders"),
    path(
        "einvoicing/",
        views.manager_only(einvoicing_views.platform_settings),
        name="einvoicing",
    ),
    path("indices/", views.manager_only(engagement_settings.index_settings), name="indices"),
    path("tokens/", api_web.tokens, name="tokens"),
    path("tokens/<id:pk>/revoke/", api_web.revoke, name="token_revoke"),
]
