"""What other apps call to change access: tokens, invitations, members, passwords."""

from .account_emails import queue_account_email, record_account_email_outcome
from .invitations import (
    accept_invitation,
    invitation_for,
    invite_member,
    resend_invitation,
    revoke_invitation,
)
from .members import deactivate_member, may_manage_staff, reactivate_member, set_member_rights
from .passwords import request_password_reset, reset_password
from .signins import end_other_sessions, open_sessions, record_failed_sign_in, record_sign_in
from .sso import (
    SSO_SENSITIVE_FIELDS,
    member_for_claims,
    provider_of,
    record_sso_refusal,
    remove_single_sign_on,
    save_single_sign_on,
    single_sign_on,
    single_sign_on_for_address,
    sso_only_refuses,
    store_single_sign_on,
)
from .tokens import (
    answer_key,
    claim_key,
    forget_key,
    issue_token,
    remember_response,
    revoke_token,
)
from .twofactor import (
    check_second_factor,
    disable_totp,
    enable_totp,
    has_second_factor,
    new_totp_key,
    recovery_codes_left,
    renew_recovery_codes,
    reset_two_factors,
    totp_device,
)

__all__ = [
    "SSO_SENSITIVE_FIELDS",
    "member_for_claims",
    "provider_of",
    "record_sso_refusal",
    "remove_single_sign_on",
    "save_single_sign_on",
    "single_sign_on",
    "single_sign_on_for_address",
    "sso_only_refuses",
    "store_single_sign_on",
    "reset_two_factors",
    "open_sessions",
    "end_other_sessions",
    "record_sign_in",
    "record_failed_sign_in",
    "totp_device",
    "renew_recovery_codes",
    "recovery_codes_left",
    "new_totp_key",
    "has_second_factor",
    "enable_totp",
    "disable_totp",
    "check_second_factor",
    "accept_invitation",
    "answer_key",
    "claim_key",
    "deactivate_member",
    "forget_key",
    "invitation_for",
    "invite_member",
    "issue_token",
    "may_manage_staff",
    "reactivate_member",
    "queue_account_email",
    "record_account_email_outcome",
    "remember_response",
    "request_password_reset",
    "resend_invitation",
    "reset_password",
    "revoke_invitation",
    "revoke_token",
    "set_member_rights",
]
