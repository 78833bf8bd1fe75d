"""A firm's administrator manages its members: their rights, and whether they may sign
in. A firm always keeps one active member holding the settings right."""

from collections.abc import Iterable

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotAllowed, NotFound
from facturier.firms import actions as firm_actions
from facturier.firms import audit
from facturier.firms.models import Firm, User

from ..errors import LastSettingsHolder
from ..events import AuditName
from ..models import ApiToken
from ..staff import RIGHTS, active_settings_holders, permission_objects


def require_admin(by: User) -> None:
    firm_actions.require_settings_right(by)


def _member(member: User | int, by: User) -> User:
    """The member of `by`'s firm, its firm row locked: staff changes of one firm run one
    at a time, so two administrators never each remove the other's settings right."""
    require_admin(by)
    Firm.objects.select_for_update().filter(pk=by.firm_id).first()
    if not User.objects.filter(pk=by.pk, is_active=True).exists():
        raise NotAllowed()  # deactivated by another administrator meanwhile
    pk = member.pk if isinstance(member, User) else member
    found = User.objects.filter(pk=pk, firm_id=by.firm_id).first()
    if found is None:
        raise NotFound(_("No such member of staff."))
    return found


def _keep_a_settings_holder(firm_id: int) -> None:
    if not active_settings_holders(firm_id).exists():
        raise LastSettingsHolder()


def clean_rights(rights: Iterable[str]) -> list[str]:
    rights = sorted(set(rights))
    unknown = [name for name in rights if name not in RIGHTS]
    if unknown:
        raise Invalid(
            {"rights": [_("Unknown right: %(name)s") % {"name": name} for name in unknown]},
            codes={"rights": ["invalid_choice"] * len(unknown)},
        )
    return rights


@action
def set_member_rights(member: User | int, *, by: User, rights: Iterable[str]) -> User:
    """The rights `member` holds directly, among those the Staff page gives (rights a
    role gives stay with the role)."""
    member = _member(member, by)
    rights = clean_rights(rights)
    before = sorted(
        f"{app}.{code}"
        for app, code in member.user_permissions.values_list("content_type__app_label", "codename")
        if f"{app}.{code}" in RIGHTS
    )
    if before == rights:
        return member
    kept = [p for p in member.user_permissions.select_related("content_type")]
    kept = [p for p in kept if f"{p.content_type.app_label}.{p.codename}" not in RIGHTS]
    member.user_permissions.set([*kept, *permission_objects(rights)])
    _keep_a_settings_holder(by.firm_id)
    audit.record(
        AuditName.STAFF_RIGHTS_CHANGED,
        member,
        by=by,
        firm_id=by.firm_id,
        details={"rights": [before, rights]},
    )
    return member


def _end_sessions(member: User) -> int:
    """Delete the member's open sessions, so a reactivation does not revive them (the
    sessions' table keys nothing by user: each live one is read)."""
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(member.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@action
def deactivate_member(member: User | int, *, by: User) -> User:
    """The member can no longer sign in: their open sessions end (their next request is
    sent to the login page) and their API tokens are revoked. Their history stays."""
    member = _member(member, by)
    if not member.is_active:
        return member
    member.is_active = False
    member.save(update_fields=["is_active"])
    _keep_a_settings_holder(by.firm_id)
    now = timezone.now()
    revoked = list(ApiToken.objects.active().filter(user=member).values_list("pk", flat=True))
    ApiToken.objects.filter(pk__in=revoked).update(revoked_at=now)
    audit.record(
        AuditName.STAFF_DEACTIVATED,
        member,
        by=by,
        firm_id=by.firm_id,
        details={"tokens_revoked": revoked, "sessions_ended": _end_sessions(member)},
    )
    return member


@action
def reactivate_member(member: User | int, *, by: User) -> User:
    """The member may sign in again (their revoked tokens stay revoked)."""
    member = _member(member, by)
    if member.is_active:
        return member
    member.is_active = True
    member.save(update_fields=["is_active"])
    audit.record(AuditName.STAFF_REACTIVATED, member, by=by, firm_id=by.firm_id)
    return member


def may_manage_staff(user) -> bool:
    try:
        require_admin(user)
    except NotAllowed:
        return False
    return True
