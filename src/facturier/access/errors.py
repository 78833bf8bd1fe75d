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


class IdentityMismatch(SingleSignOnRefused):
    """The address is a member's already linked to another identity at the provider."""

    code = "sso_identity_mismatch"
    default_message = _(
        "This member already signs in through the provider with another account there. "
        "Ask the firm's administrator."
    )


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


class SsoSignInConcurrent(SingleSignOnRefused):
    """Two first sign-ins of the same member at the same moment: one links the identity,
    the other is refused (and may simply sign in again)."""

    code = "sso_sign_in_concurrent"
    status = 409
    default_message = _(
        "Another sign-in of this member was under way at the same moment. Try again."
    )


class PasskeyRefused(DomainError):
    """A passkey that does not prove the member: each kind has its own code."""

    code = "passkey_invalid"
    status = 422
    default_message = _("This passkey's answer could not be checked. Try again.")


class PasskeyWrongSite(PasskeyRefused):
    """Made for another site: another relying-party id or origin."""

    code = "passkey_wrong_site"
    default_message = _("This passkey belongs to another site.")


class PasskeyChallengeExpired(PasskeyRefused):
    code = "passkey_challenge_expired"
    default_message = _("The passkey request expired. Try again.")


class PasskeyChallengeUsed(PasskeyRefused):
    """No request is pending, or the answer is to an earlier one: each request works once."""

    code = "passkey_challenge_used"
    default_message = _("This passkey request was already used. Try again.")


class PasskeyUnknown(PasskeyRefused):
    code = "passkey_unknown"
    default_message = _("This passkey is not one of yours here.")


class PasskeyCounterRegressed(PasskeyRefused):
    """The authenticator's counter went backwards: a copy of the key may be in use."""

    code = "passkey_counter_regressed"
    default_message = _(
        "This passkey's counter went backwards, a sign it may have been copied: it is "
        "refused. Sign in another way and remove it."
    )


class PasskeyAlreadyRegistered(PasskeyRefused):
    code = "passkey_already_registered"
    status = 409
    default_message = _("This passkey is already registered.")


class PasskeyNameInvalid(DomainError):
    code = "passkey_name_invalid"
    status = 422
    default_message = _("Give the passkey a name (up to 100 characters).")


class PasskeyNotFound(DomainError):
    code = "passkey_not_found"
    status = 404
    default_message = _("No such passkey.")
