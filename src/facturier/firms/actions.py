"""Changes to a firm and its staff: the invoicing identity from Settings, staff from
the admin. Each checks the right and writes an AuditEvent in its transaction."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotAllowed

from . import audit
from .events import AuditName, firm_created
from .models import Firm, User
from .permissions import can_manage_settings

SETTINGS_FIELDS = (
    "name",
    "legal_form",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "siren",
    "registration",
    "vat_number",
    "vat_on_debits",
    "vat_franchise",
    "vat_exemption_reason",
    "iban",
    "bic",
    "email_from",
    "email_reply_to",
    "einvoice_enabled",
    "default_payment_terms_days",
    "default_currency",
    "default_vat_rate",
    "late_payment_penalty_rate",
    "recovery_indemnity",
    "close_when_paid",
    "credit_notes_own_series",
)

# Set from Settings → Security rather than the invoicing settings' page.
SECURITY_FIELDS = ("two_factors_required", "personal_data_retention_years")

NEEDS_SETTINGS_RIGHT = _("You need the right to manage invoicing settings.")


def require_settings_right(user) -> None:
    if not can_manage_settings(user):
        raise NotAllowed(NEEDS_SETTINGS_RIGHT)


@action
def update_firm_settings(firm: Firm | int, *, by: User, fields: Mapping[str, Any]) -> Firm:
    """The firm's identity and invoicing defaults, as Settings (or the back office) edits them."""
    firm_id = firm.pk if isinstance(firm, Firm) else firm
    if not (by.is_active and by.is_superuser):
        require_settings_right(by)
        if firm_id != by.firm_id:
            raise NotAllowed(NEEDS_SETTINGS_RIGHT)
    firm = Firm.objects.select_for_update().get(pk=firm_id)
    unknown = set(fields) - {*SETTINGS_FIELDS, *SECURITY_FIELDS}
    if unknown:
        raise Invalid(
            {name: [_("This field cannot be set.")] for name in sorted(unknown)},
            codes={name: ["read_only"] for name in sorted(unknown)},
        )
    before = audit.values(firm, fields)
    for name, value in fields.items():
        setattr(firm, name, value)
    try:
        firm.full_clean()
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    changed = audit.changes(before, audit.values(firm, fields))
    if changed:
        firm.save(update_fields=list(changed))
        audit.record(AuditName.FIRM_SETTINGS_CHANGED, firm, by=by, firm_id=firm.pk, details=changed)
    return firm


@action
def save_staff_from_form(form, *, by: User, created: bool) -> User:
    """A staff member as the admin's user form has it, with groups and permissions
    (superusers only): saved, and recorded with the names of the changed fields."""
    if not (by.is_active and by.is_superuser):
        raise NotAllowed()
    user = form.save(commit=False)
    user.save()
    form.save_m2m()
    audit.record(
        AuditName.STAFF_CREATED if created else AuditName.STAFF_CHANGED,
        user,
        by=by,
        firm_id=user.firm_id,
        details={"fields": sorted(n for n in form.changed_data if "password" not in n)},
    )
    return user


@action
def delete_staff_member(member: User, *, by: User) -> None:
    if not (by.is_active and by.is_superuser):
        raise NotAllowed()
    audit.record(AuditName.STAFF_DELETED, member, by=by, firm_id=member.firm_id)
    member.delete()


@action
def set_language_preference(*, by: User, language: str) -> User:
    """The language a user picked at the top of the page ("" follows the browser)."""
    choices = dict(User._meta.get_field("language").choices)
    if language and language not in choices:
        raise Invalid(
            {"language": [_("Choose English or French.")]}, codes={"language": ["invalid_choice"]}
        )
    if by.language != language:
        before = by.language
        by.language = language
        by.save(update_fields=["language"])
        audit.record(
            AuditName.STAFF_LANGUAGE_CHANGED,
            by,
            by=by,
            firm_id=by.firm_id,
            details={"language": [before, language]},
        )
    return by


# --- provisioning from the command line (setup, demo data) ------------------------------
# `by=None` is the operator at the command line (no user yet), recorded as "system".


def _require_operator_or_superuser(by) -> None:
    if by is not None and not (by.is_active and by.is_superuser):
        raise NotAllowed()


@action
def create_firm(*, by: User | None = None, **fields) -> Firm:
    """A new firm (tenant) with its identity."""
    _require_operator_or_superuser(by)
    firm = Firm(**fields)
    try:
        firm.full_clean()
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    firm.save()
    audit.record(AuditName.FIRM_CREATED, firm, by=by, firm_id=firm.pk, details={"name": firm.name})
    firm_created(firm)
    return firm


@action
def create_role(*, by: User | None = None, name: str, permissions: list[str]) -> Group:
    """A group of staff sharing rights ("app_label.codename" each)."""
    _require_operator_or_superuser(by)
    group, _created = Group.objects.get_or_create(name=name)
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        group.permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label=app_label)
        )
    audit.record(
        AuditName.ROLE_SAVED, group, by=by, firm_id=None, details={"permissions": permissions}
    )
    return group


@action
def create_staff_member(
    *,
    by: User | None = None,
    firm: Firm | None,
    username: str,
    password: str,
    roles: list[Group] = (),
    **fields,
) -> User:
    """A member of a firm's staff (or, without a firm, a back-office superuser)."""
    _require_operator_or_superuser(by)
    user = User(username=username, firm=firm, **fields)
    user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    user.save()
    user.groups.set(roles)
    audit.record(
        AuditName.STAFF_CREATED,
        user,
        by=by,
        firm_id=user.firm_id,
        details={"roles": [g.name for g in roles], "superuser": user.is_superuser},
    )
    return user
