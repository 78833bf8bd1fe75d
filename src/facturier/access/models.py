import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.core.models import CheckedText
from facturier.firms.models import Firm
from facturier.outbox.models import Delivery

TOKEN_PREFIX = "fct_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class TokenScope(models.TextChoices):
    """What a token may do: read only, or everything its owner may (the default)."""

    READ = "read", _("read only")
    WRITE = "write", _("read and write")


class ApiToken(models.Model):
    """A personal API token. Only its hash is kept; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    scope = models.CharField(_("scope"), max_length=5, choices=TokenScope, default=TokenScope.WRITE)
    # None: never expires.
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, user, name: str, *, scope: str = TokenScope.WRITE, expires_at=None
    ) -> tuple["ApiToken", str]:
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=raw[:10],
            digest=hash_token(raw),
            scope=scope,
            expires_at=expires_at,
        )
        return token, raw

    def expired(self, now) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class IdempotencyRecord(models.Model):
    """The first answer to an action sent with an Idempotency-Key, replayed for retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key")]

    def __str__(self) -> str:
        return self.key


class Invitation(models.Model):
    """An e-mail address asked to join a firm's staff with the rights chosen. The link's
    secret is kept as its hash only; it works once, until it expires, unless revoked or
    replaced by a resend."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail"))
    # "app_label.codename" of each right given on acceptance.
    permissions = models.JSONField(_("rights"), default=list, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("invited"))
    expires_at = models.DateTimeField(_("expires"))
    digest = models.CharField(max_length=64, unique=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.email

    def is_pending(self, now) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class AccountEmail(Delivery):
    """An e-mail to a person of the firm (an invitation, a password reset, a budget
    alert), carried out by the outbox worker like every other message."""

    class Purpose(models.TextChoices):
        INVITATION = "invitation", _("invitation")
        PASSWORD_RESET = "password_reset", _("password reset")
        BUDGET_ALERT = "budget_alert", _("budget alert")
        PORTAL_LINK = "portal_link", _("client portal sign-in link")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+", null=True)
    purpose = models.CharField(_("e-mail"), max_length=20, choices=Purpose)
    to = models.JSONField(_("to"))
    from_email = models.CharField(max_length=254)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("message"))
    language = models.CharField(max_length=2, default="fr")
    message_id = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(_("requested"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    # What compose() reads of every e-mail delivery.
    cc: list = []
    reply_to = ""

    class Meta:
        verbose_name = _("account e-mail")
        verbose_name_plural = _("account e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="account_email_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {', '.join(self.to)} ({self.status})"


class RecoveryCode(models.Model):
    """One of a member's recovery codes, for signing in without their authenticator app.
    Only its hash is kept (the codes are shown once); each works once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user} ({self.digest[:8]}…)"


class MemberSession(models.Model):
    """A session a member opened by signing in, with where it came from, so Settings →
    Security lists their sessions (Django's session table keys nothing by user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    signed_in_at = models.DateTimeField(_("signed in"))

    class Meta:
        verbose_name = _("member's session")
        verbose_name_plural = _("members' sessions")
        ordering = ["-signed_in_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} ({self.ip})"


class SingleSignOn(CheckedText):
    """A firm's single sign-on with its OpenID Connect provider (Microsoft Entra ID,
    Google Workspace...): the client the firm registered there, and the provider's
    addresses read from its discovery document when the settings were saved."""

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="single_sign_on")
    issuer = models.URLField(
        _("issuer"),
        max_length=300,
        help_text=_(
            "The provider's address, e.g. https://login.microsoftonline.com/<tenant>/v2.0 "
            "or https://accounts.google.com"
        ),
    )
    client_id = models.CharField(_("client id"), max_length=300)
    client_secret = models.CharField(_("client secret"), max_length=500)
    sso_only = models.BooleanField(
        _("single sign-on only"),
        default=False,
        help_text=_(
            "Members sign in only through the provider; those with the settings right may "
            "still use their password (and their second factor), so the firm is never "
            "locked out."
        ),
    )
    trust_provider_emails = models.BooleanField(
        _("trust the provider's e-mail addresses"),
        default=False,
        help_text=_(
            "A member's first sign-in through the provider is matched to them by e-mail "
            "address. Leave this off unless the provider's addresses are the firm's own "
            "(Microsoft Entra ID sends no email_verified): anyone able to put a member's "
            "address on an account there could then sign in as them. Once linked, a "
            "member is recognised by their identity at the provider, never again by address."
        ),
    )
    # From the provider's /.well-known/openid-configuration, read when saved.
    authorization_endpoint = models.URLField(max_length=500, editable=False)
    token_endpoint = models.URLField(max_length=500, editable=False)
    jwks_uri = models.URLField(max_length=500, editable=False)

    class Meta:
        verbose_name = _("single sign-on")
        verbose_name_plural = _("single sign-ons")

    def __str__(self) -> str:
        return self.issuer


class Passkey(models.Model):
    """A member's passkey (WebAuthn), a second factor beside the authenticator app: the
    credential's id and public key as the authenticator gave them at registration, and
    its signature counter (a counter going backwards means a cloned authenticator)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("name"), max_length=100)
    # base64url, as the browser sends it back at each use.
    credential_id = models.CharField(max_length=700, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("added"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class SsoIdentity(models.Model):
    """A member's identity at their firm's provider, linked at their first single
    sign-on: afterwards the provider's answer is matched by it (issuer and subject, or
    Entra ID's tenant and object ids), never by the e-mail address again."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.URLField(_("issuer"), max_length=300)
    # "sub:<sub>", or "oid:<tid>:<oid>" when the provider gives Entra ID's object ids.
    subject = models.CharField(_("subject"), max_length=300)
    linked_at = models.DateTimeField(_("linked"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        constraints = [
            models.UniqueConstraint(fields=["firm", "issuer", "subject"], name="sso_identity_once"),
            # One identity per member at a provider, even when two first sign-ins race.
            models.UniqueConstraint(fields=["user", "issuer"], name="sso_identity_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.issuer}"
