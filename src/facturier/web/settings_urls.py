from django.urls import path

from . import budgets as budget_views
from . import direct_debits as debit_views
from . import einvoicing as einvoicing_views
from . import engagement_letters, engagement_settings, stepup, work_settings
from . import personal_data as personal_data_views
from . import reminders as reminder_views
from . import security as security_views
from . import settings as views
from . import staff as staff_views
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
    path("direct-debit/", views.manager_only(debit_views.sepa_settings_view), name="sepa"),
    path("work/", views.manager_only(work_settings.work_settings), name="work"),
    path("reminders/", views.manager_only(reminder_views.reminder_settings), name="reminders"),
    path(
        "einvoicing/",
        views.manager_only(einvoicing_views.platform_settings),
        name="einvoicing",
    ),
    path(
        "einvoicing/webhook/",
        views.manager_only(einvoicing_views.change_webhook),
        name="einvoicing_webhook",
    ),
    path("staff/", staff_views.staff, name="staff"),
    path("staff/<id:pk>/", staff_views.member, name="staff_member"),
    path("staff/<id:pk>/deactivate/", staff_views.member_deactivate, name="staff_deactivate"),
    path(
        "staff/<id:pk>/two-factors/reset/",
        staff_views.member_reset_two_factors,
        name="staff_reset_two_factors",
    ),
    path(
        "staff/<id:pk>/personal-data/",
        personal_data_views.member_export,
        name="staff_personal_data",
    ),
    path("staff/<id:pk>/erase/", personal_data_views.member_erase, name="staff_erase"),
    path("security/retention/", personal_data_views.retention, name="retention"),
    path("staff/<id:pk>/reactivate/", staff_views.member_reactivate, name="staff_reactivate"),
    path(
        "staff/invitations/<id:pk>/resend/",
        staff_views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "staff/invitations/<id:pk>/revoke/",
        staff_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("indices/", views.manager_only(engagement_settings.index_settings), name="indices"),
    path(
        "letter-templates/",
        views.manager_only(engagement_letters.letter_templates_view),
        name="letter_templates",
    ),
    path(
        "letter-templates/<id:pk>/",
        views.manager_only(engagement_letters.letter_templates_view),
        name="letter_template",
    ),
    path(
        "budget-alerts/",
        views.manager_only(budget_views.budget_alert_settings),
        name="budget_alerts",
    ),
    path("security/", security_views.security, name="security"),
    path(
        "security/sso/",
        views.manager_only(security_views.single_sign_on),
        name="single_sign_on",
    ),
    path(
        "security/sso/remove/",
        views.manager_only(security_views.remove_single_sign_on),
        name="single_sign_on_remove",
    ),
    path("security/confirm/", stepup.confirm_code, name="confirm_code"),
    path("security/totp/enable/", security_views.totp_enable, name="totp_enable"),
    path("security/totp/disable/", security_views.totp_disable, name="totp_disable"),
    path("security/passkeys/add/", security_views.passkey_add, name="passkey_add"),
    path(
        "security/passkeys/<id:pk>/remove/",
        security_views.passkey_remove,
        name="passkey_remove",
    ),
    path("security/recovery/renew/", security_views.recovery_renew, name="recovery_renew"),
    path(
        "security/sessions/end/",
        security_views.end_other_sessions,
        name="end_other_sessions",
    ),
    path(
        "security/required/",
        security_views.two_factors_required,
        name="two_factors_required",
    ),
    path("tokens/", api_web.tokens, name="tokens"),
    path("tokens/<id:pk>/revoke/", api_web.revoke, name="token_revoke"),
]
