from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from facturier.access import usage
from facturier.access.models import ApiToken, TokenScope, hash_token


class TokenExpired(exceptions.AuthenticationFailed):
    default_detail = "This token has expired."
    default_code = "token_expired"


class ReadOnlyToken(exceptions.PermissionDenied):
    default_detail = "This token is read only: it may not change anything."
    default_code = "read_only_token"


class TokenAuthentication(authentication.BaseAuthentication):
    """Authorization: Bearer fct_..."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        raw = header[1].decode(errors="replace")
        token = (
            ApiToken.objects.active().select_related("user").filter(digest=hash_token(raw)).first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if token.expired(timezone.now()):
            raise TokenExpired()
        if token.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise ReadOnlyToken()
        usage.note_use(token.pk)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "facturier.api.authentication.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token (Settings → API tokens). A token is read only "
                "(a write answers 403 `read_only_token`) or read and write, and may "
                "expire (then every request answers 401 `token_expired`)."
            ),
        }
