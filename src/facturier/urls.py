from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from facturier.core.converters import IdConverter
from facturier.web import passwords, signin, sso
from facturier.web.language import set_language
from facturier.web.staff import accept_invitation

register_converter(IdConverter, "id")


class FaviconView(RedirectView):
    """Browsers ask /favicon.ico whatever the page says: send them to the icon."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("facturier/favicon.svg")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="billing:invoices", permanent=False), name="home"),
    path("billing/", include("facturier.web.billing_urls")),
    path("settings/", include("facturier.web.settings_urls")),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("language/", set_language, name="set_language"),
    path("login/", signin.SignInView.as_view(), name="login"),
    path("login/code/", signin.signin_code, name="login_code"),
    path("login/sso/", sso.sso_start, name="login_sso"),
    path("login/sso/callback/", sso.sso_callback, name="login_sso_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/forgotten/", passwords.ResetRequestView.as_view(), name="password_reset"),
    path(
        "password/forgotten/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        passwords.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", accept_invitation, name="accept_invitation"),
    path("portal/", include("facturier.portal.urls")),
    path("api/", include("facturier.api.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "facturier.api.errors.page_not_found"
