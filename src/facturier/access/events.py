"""What access tells: the names its actions write in the audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.firms import audit


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    TOKEN_ISSUED = "token.issued", _("API token issued")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")
    INVITATION_SENT = "invitation.sent", _("invitation sent")
    INVITATION_RESENT = "invitation.resent", _("invitation sent again")
    INVITATION_REVOKED = "invitation.revoked", _("invitation revoked")
    INVITATION_ACCEPTED = "invitation.accepted", _("invitation accepted")
    STAFF_RIGHTS_CHANGED = "staff.rights_changed", _("staff member's rights changed")
    STAFF_DEACTIVATED = "staff.deactivated", _("staff member deactivated")
    STAFF_REACTIVATED = "staff.reactivated", _("staff member reactivated")
    PASSWORD_RESET_REQUESTED = "password.reset_requested", _("password reset asked for")
    PASSWORD_RESET = "password.reset", _("password reset")
    TOTP_ENABLED = "totp.enabled", _("authenticator app set up")
    TOTP_DISABLED = "totp.disabled", _("authenticator app removed")
    RECOVERY_CODES_RENEWED = "recovery_codes.renewed", _("recovery codes renewed")
    SIGNED_IN = "sign_in.succeeded", _("signed in")
    SIGN_IN_FAILED = "sign_in.failed", _("sign-in refused: wrong password")
    SIGN_IN_CODE_REFUSED = "sign_in.code_refused", _("sign-in refused: wrong code")
    SIGN_IN_THROTTLED = "sign_in.throttled", _("sign-in refused: too many failures")
    TWO_FACTORS_RESET = "totp.reset", _("authenticator app reset by an administrator")
    SESSIONS_ENDED = "sessions.ended", _("other sessions ended")
    RECOVERY_CODE_USED = "recovery_code.used", _("recovery code used to sign in")
    SSO_SETTINGS_CHANGED = "sso.settings_changed", _("single sign-on settings changed")
    SIGN_IN_SSO_REFUSED = "sign_in.sso_refused", _("single sign-on refused")
    SIGN_IN_SSO_ONLY = "sign_in.sso_only", _("password refused: the firm signs in with SSO")
    PASSKEY_ADDED = "passkey.added", _("passkey added")
    PASSKEY_REMOVED = "passkey.removed", _("passkey removed")
    PASSKEY_USED = "passkey.used", _("passkey used")
    SIGN_IN_PASSKEY_REFUSED = "sign_in.passkey_refused", _("passkey refused")
    SSO_IDENTITY_LINKED = "sso.identity_linked", _("single sign-on identity linked")


audit.declare(AuditName)
