from rest_framework.throttling import SimpleRateThrottle

from facturier.access.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """A rate per API token (a user's tokens each have their own), per user for sessions."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
