"""Refusals about who gets in: invitations, members, tokens (each with a stable code)."""

from django.utils.translation import gettext_lazy as _

from facturier.core.errors import DomainError


class AlreadyMember(DomainError):
    """The address belongs to someone who already has an account (in any firm)."""

    code = "already_member"
    status = 409
    default_message = _("This address already belongs to a member of staff.")


class AlreadyInvited(DomainError):
    """An invitation to this address is pending: resend it instead."""

    code = "already_invited"
    status = 409
    default_message = _("An invitation to this address is pending: resend it instead.")


class InvitationExpired(DomainError):
    code = "invitation_expired"
    status = 410
    default_message = _("This invitation has expired. Ask for a new one.")


class InvitationUsed(DomainError):
    code = "invitation_used"
    status = 410
    default_message = _("This invitation has already been accepted. Sign in instead.")


class InvitationRevoked(DomainError):
    """Revoked, replaced by a resend, or never issued (the link is not one we gave)."""

    code = "invitation_revoked"
    status = 410
    default_message = _("This invitation link is no longer valid. Ask for a new one.")


class LastSettingsHolder(DomainError):
    """A firm keeps at least one active member who may manage its settings."""

    code = "last_settings_holder"
    status = 409
    default_message = _("The firm would have no active member left with the settings right.")


class WrongCode(DomainError):
    """A TOTP code that is wrong, too old or already used, or an unknown recovery code."""

    code = "wrong_code"
    status = 422
    default_message = _(
        "This code is not right, or was already used. Type the code your app shows now, "
        "or one of your recovery codes."
    )


class TwoFactorsAlreadySet(DomainError):
    code = "two_factors_already_set"
    status = 409
    default_message = _("An authenticator app is already set up: remove it first.")


class NoSecondFactor(DomainError):
    code = "no_second_factor"
    status = 409
    default_message = _("No authenticator app is set up.")


class SingleSignOnRefused(DomainError):
    """A single sign-on that did not go through; no session is opened. Each kind has its
    own code, for the trail and for support."""

    code = "sso_refused"
    status = 403
    default_message = _("Single sign-on did not go through. Try again, or ask your firm.")


class SsoNotConfigured(SingleSignOnRefused):
    code = "sso_not_configured"
    status = 404
    default_message = _(
        "Single sign-on is not set up for this address. Sign in with your password, "
        "or ask your firm."
    )


class WrongState(SingleSignOnRefused):
    """The answer does not belong to the sign-in this browser started (or it expired)."""

    code = "wrong_state"
    default_message = _(
        "This sign-in answer does not match the one this browser started, or it is too "
        "old. Start again."
    )


class WrongNonce(SingleSignOnRefused):
    code = "wrong_nonce"


class WrongIssuer(SingleSignOnRefused):
    code = "wrong_issuer"


class WrongAudience(SingleSignOnRefused):
    code = "wrong_audience"


class IdTokenExpired(SingleSignOnRefused):
    code = "id_token_expired"
    default_message = _("The provider's answer has expired. Start again.")


class BadSignature(SingleSignOnRefused):
    code = "bad_signature"


class ProviderRefused(SingleSignOnRefused):
    """The provider said no (the member cancelled, or it refused the code we sent)."""

    code = "provider_refused"
    default_message = _("Your firm's provider did not sign you in. Start again.")


class ProviderUnreachable(SingleSignOnRefused):
    code = "provider_unreachable"
    status = 502
    default_message = _("Your firm's provider cannot be reached. Try again in a moment.")


class EmailNotVerified(SingleSignOnRefused):
    code = "email_not_verified"
    default_message = _("Your provider does not vouch for your e-mail address. Ask your firm.")


class UnknownEmail(SingleSignOnRefused):
    """No staff member of the firm has the address the provider vouched for (members are
    never created at sign-in: they are invited)."""

    code = "unknown_email"
    default_message = _(
        "No member of your firm has this e-mail address. Ask your firm to invite you."
    )


class MemberDeactivated(SingleSignOnRefused):
    code = "member_deactivated"
    default_message = _("Your account has been deactivated. Ask your firm.")


class SsoOnly(DomainError):
    """The firm signs in through its provider: a password is refused (but for members with
    the settings right, the firm's way back in)."""

    code = "sso_only"
    status = 403
    default_message = _(
        'Your firm signs in with single sign-on: use the button "Sign in with your '
        "firm's single sign-on\" below."
    )


class SecondFactorNeeded(DomainError):
    """Sensitive settings (the e-invoicing platform's credentials, the direct-debit
    account) are changed only by a member with an authenticator app set up."""

    code = "second_factor_needed"
    status = 403
    default_message = _(
        "Set up two-factor sign-in (Settings → Security) before changing these settings."
    )


class SecondFactorNotConfirmed(DomainError):
    """A session changes sensitive settings within minutes of confirming a code."""

    code = "second_factor_not_confirmed"
    status = 403
    default_message = _(
        "Confirm a code from your authenticator app (valid 10 minutes) before changing "
        "these settings."
    )
