"""Every change the portal makes: what other code calls (`from facturier.portal import
actions`)."""

from .accesses import client_to_manage, invite_contact, may_manage, revoke_access
from .letters import accept_letter
from .links import check_link, close_session, contact_language, open_session, request_sign_in_link
from .mandates import accept_mandate
from .opened import record_opened

__all__ = [
    "accept_letter",
    "accept_mandate",
    "check_link",
    "client_to_manage",
    "close_session",
    "contact_language",
    "invite_contact",
    "may_manage",
    "open_session",
    "record_opened",
    "request_sign_in_link",
    "revoke_access",
]
