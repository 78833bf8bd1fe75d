"""Personal API tokens: issued and revoked by their owner, each with an audit row."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.firms import audit
from facturier.firms.models import User

from ..events import AuditName
from ..models import ApiToken, IdempotencyRecord, TokenScope


@action
def issue_token(
    *,
    by: User,
    name: str,
    scope: str = TokenScope.WRITE,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `by`; returns it with its secret, shown this once. `scope`: read
    only or read and write; `expires_at`: when it stops working (None: never)."""
    name = (name or "").strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise Invalid(
            {"name": [_("Give the token a name, e.g. the program that uses it.")]},
            codes={"name": ["required"]},
        )
    if scope not in TokenScope.values:
        raise Invalid(
            {"scope": [_("Choose read only or read and write.")]}, codes={"scope": ["invalid"]}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid(
            {"expires_at": [_("Choose a day after today.")]}, codes={"expires_at": ["past"]}
        )
    token, raw = ApiToken.issue(by, name, scope=scope, expires_at=expires_at)
    audit.record(
        AuditName.TOKEN_ISSUED,
        token,
        by=by,
        firm_id=by.firm_id,
        details={"name": name, "scope": scope, "expires_at": expires_at},
    )
    return token, raw


@action
def revoke_token(token: ApiToken | int, *, by: User) -> ApiToken:
    pk = token.pk if isinstance(token, ApiToken) else token
    token = ApiToken.objects.active().select_for_update().filter(pk=pk, user=by).first()
    if token is None:
        raise NotFound(_("No such token."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(AuditName.TOKEN_REVOKED, token, by=by, firm_id=by.firm_id)
    return token


@action
def remember_response(*, by: User, key: str, fingerprint: str, status: int, body) -> None:
    """Keep an action's answer for its Idempotency-Key (in the action's transaction)."""
    IdempotencyRecord.objects.create(
        user=by, key=key, fingerprint=fingerprint, status=status, body=body
    )


@action
def claim_key(*, by: User, key: str, fingerprint: str) -> IdempotencyRecord:
    """Take a key for an action about to run, in its transaction: a second run with the
    same key waits for the first and then fails (IntegrityError), acting on nothing."""
    return IdempotencyRecord.objects.create(
        user=by, key=key, fingerprint=fingerprint, status=0, body=None
    )


@action
def answer_key(record: IdempotencyRecord, *, by: User, status: int, body) -> None:
    """Keep the answer of the action a claimed key ran, replayed to later runs."""
    IdempotencyRecord.objects.filter(pk=record.pk, user=by).update(status=status, body=body)


@action
def forget_key(record: IdempotencyRecord, *, by: User) -> None:
    """The action was refused, nothing done: the same form may be sent again, corrected."""
    IdempotencyRecord.objects.filter(pk=record.pk, user=by).delete()
