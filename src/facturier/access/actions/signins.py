"""Sign-ins in the firm's audit trail: each one, each failure (a wrong password or
code, or one refused for too many failures), with the address and browser it came from;
and the sessions they opened, which their member may end."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from facturier.core.actions import action
from facturier.firms import audit
from facturier.firms.models import User

from ..events import AuditName
from ..models import MemberSession

FAILURES = {
    "password": AuditName.SIGN_IN_FAILED,
    "code": AuditName.SIGN_IN_CODE_REFUSED,
    "throttled": AuditName.SIGN_IN_THROTTLED,
    "sso_only": AuditName.SIGN_IN_SSO_ONLY,
}


def _forget_ended(member: User) -> None:
    """Rows of sessions that ended meanwhile (signed out, expired, or renewed)."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    MemberSession.objects.filter(user=member).exclude(session_key__in=live).delete()


@action
def record_sign_in(
    member: User,
    *,
    by: User,
    ip: str,
    user_agent: str,
    session_key: str | None = None,
    second_factor: str = "",
) -> None:
    """`member` signed in (`by` is `member`), opening `session_key`; `second_factor`:
    'totp', 'recovery' or ''."""
    _forget_ended(member)
    if session_key:
        MemberSession.objects.update_or_create(
            session_key=session_key,
            defaults={
                "user": member,
                "ip": ip,
                "user_agent": user_agent[:200],
                "signed_in_at": timezone.now(),
            },
        )
    audit.record(
        AuditName.SIGNED_IN,
        member,
        by=by,
        firm_id=member.firm_id,
        details={"ip": ip, "user_agent": user_agent[:200], "second_factor": second_factor},
    )


@action
def record_failed_sign_in(
    *, by: User | None = None, username: str, ip: str, user_agent: str, reason: str
) -> bool:
    """A refused sign-in as `username` (`by`: nobody is signed in); written in the trail
    of the member's firm when the name is a member's (False when it is nobody's)."""
    member = User.objects.filter(username=username.strip()).first() if username else None
    if member is None:
        return False
    audit.record(
        FAILURES[reason],
        member,
        by=None,
        firm_id=member.firm_id,
        details={"ip": ip, "user_agent": user_agent[:200]},
    )
    return True


def open_sessions(member: User) -> list[tuple[MemberSession, Session]]:
    """The member's sessions still open, newest sign-in first, each with Django's row."""
    rows = list(MemberSession.objects.filter(user=member))
    live = {
        s.session_key: s
        for s in Session.objects.filter(
            session_key__in=[r.session_key for r in rows], expire_date__gt=timezone.now()
        )
    }
    return [(row, live[row.session_key]) for row in rows if row.session_key in live]


@action
def end_other_sessions(*, by: User, keep: str) -> int:
    """Signs `by` out everywhere but the session `keep` (theirs, in use); returns how many
    sessions ended."""
    others = MemberSession.objects.filter(user=by).exclude(session_key=keep)
    keys = list(others.values_list("session_key", flat=True))
    ended, _kinds = Session.objects.filter(session_key__in=keys).delete()
    others.delete()
    audit.record(AuditName.SESSIONS_ENDED, by, by=by, firm_id=by.firm_id, details={"ended": ended})
    return ended
