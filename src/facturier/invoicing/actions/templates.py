"""Invoice templates: create, edit, make default, archive.

Editing a template never changes a finalized invoice: those print from the
snapshot taken when they were finalized. A template is archived, not deleted,
so the record of what was used stays whole.
"""

import datetime
import io
import struct
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image
from py_svg_hush import filter_svg

from facturier.core import money
from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import Firm, User
from facturier.firms.permissions import can_manage_settings

from .. import documents
from ..events import AuditName
from ..models import InvoiceTemplate
from ..payment_reference import payment_reference
from ..snapshots import seller_snapshot, template_settings, totals_snapshot

MAX_LOGO_BYTES = 512 * 1024
LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


can_manage_templates = can_manage_settings
_require_manager = require_settings_right


MAX_LOGO_SIDE = 5000  # pixels
MAX_LOGO_PIXELS = 16_000_000


def clean_logo(data: bytes) -> tuple[bytes, str]:
    """The logo as it will be stored, and its content type, from its bytes alone.

    PNG and JPEG: the size is read from the header before anything is decoded, and a
    picture larger than MAX_LOGO_SIDE or MAX_LOGO_PIXELS is refused (a small file may
    decode to gigabytes). SVG: scripts, event handlers, foreign objects and links
    out are removed (svg-hush) before it is stored; what is kept is what any SVG
    viewer may safely show.
    """
    if len(data) > MAX_LOGO_BYTES:
        raise Invalid({"logo": [_("The logo is too large: at most 512 KB.")]}, codes=LOGO_TOO_LARGE)
    for magic, content_type in LOGO_TYPES.items():
        if data.startswith(magic):
            _check_dimensions(data, content_type)
            return data, content_type
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        try:
            return filter_svg(data), "image/svg+xml"
        except ValueError:
            raise Invalid(
                {"logo": [_("This image could not be read.")]}, codes={"logo": ["unreadable"]}
            ) from None
    raise Invalid(
        {"logo": [_("Use a PNG, JPEG or SVG image.")]}, codes={"logo": ["unsupported_type"]}
    )


LOGO_TOO_LARGE = {"logo": ["too_large"]}


def _png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height, from its first chunk (IHDR) alone."""
    if data[12:16] != b"IHDR" or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


def _check_dimensions(data: bytes, content_type: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            if image.get_format_mimetype() != content_type:
                raise ValueError(content_type)
    except Image.DecompressionBombError:  # far above our limit: say how far if we can
        width, height = _png_size(data) or (MAX_LOGO_SIDE * 10, MAX_LOGO_SIDE * 10)
    except (OSError, ValueError, SyntaxError):
        raise Invalid(
            {"logo": [_("This image could not be read.")]}, codes={"logo": ["unreadable"]}
        ) from None
    if max(width, height) > MAX_LOGO_SIDE or width * height > MAX_LOGO_PIXELS:
        raise Invalid(
            {
                "logo": [
                    _(
                        "The logo is %(width)s × %(height)s pixels: at most %(side)s on a side "
                        "will do (a logo prints a few centimetres wide)."
                    )
                    % {"width": width, "height": height, "side": MAX_LOGO_SIDE}
                ]
            },
            codes=LOGO_TOO_LARGE,
        )


def _check_logo_renders(template: InvoiceTemplate, firm: Firm) -> None:
    snapshot = sample_snapshot(firm, template)
    snapshot["template"]["show_logo"] = True  # decode it even if the template hides it
    try:
        documents.render_preview_png(snapshot, ppi=10)
    except documents.RenderFailed:
        raise Invalid({"logo": [_("This image could not be read.")]}) from None


def _own(user, template: InvoiceTemplate | int) -> InvoiceTemplate:
    """The template re-read under a lock, if it is one of the user's firm."""
    pk = template.pk if isinstance(template, InvoiceTemplate) else template
    found = InvoiceTemplate.objects.select_for_update().filter(pk=pk, firm_id=user.firm_id).first()
    if found is None:
        raise NotFound(_("No such invoice template."))
    return found


def get_template(user, pk: int) -> InvoiceTemplate:
    template = InvoiceTemplate.objects.filter(pk=pk, firm_id=user.firm_id).first()
    if template is None:
        raise NotFound(_("No such invoice template."))
    return template


@action
def save_template(
    *,
    by: User,
    template: InvoiceTemplate | None = None,
    fields: Mapping[str, Any],
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> InvoiceTemplate:
    """Create (template=None) or change a template of the by's firm."""
    _require_manager(by)
    template = template or InvoiceTemplate(firm_id=by.firm_id)
    if template.firm_id != by.firm_id:
        raise NotFound(_("No such invoice template."))
    created = template.pk is None
    before = audit.values(template, [*fields, "logo_content_type"])
    for name, value in fields.items():
        if name in {"id", "firm", "firm_id", "logo", "is_default", "archived_at"}:
            raise Invalid({name: [_("This field cannot be set.")]}, codes={name: ["read_only"]})
        setattr(template, name, value)
    if remove_logo:
        template.logo, template.logo_content_type = None, ""
    if logo:
        logo, template.logo_content_type = clean_logo(logo)
        template.logo = logo
        _check_logo_renders(template, by.firm)
    try:
        template.full_clean(exclude=["firm", "logo"])
    except ValidationError as exc:
        raise Invalid.from_django(exc) from None
    first = not InvoiceTemplate.objects.filter(firm_id=by.firm_id).exists()
    template.save()
    changed = audit.changes(before, audit.values(template, [*fields, "logo_content_type"]))
    if logo or remove_logo:
        changed["logo"] = ["", f"{len(logo)} bytes" if logo else ""]
    audit.record(
        AuditName.TEMPLATE_CREATED if created else AuditName.TEMPLATE_CHANGED,
        template,
        by=by,
        firm_id=template.firm_id,
        details=changed,
    )
    if first:
        template = set_default_template(template, by=by)
    return template


@action
def set_default_template(template: InvoiceTemplate | int, *, by: User) -> InvoiceTemplate:
    _require_manager(by)
    template = _own(by, template)
    if template.archived_at:
        raise Invalid({"template": [_("An archived template cannot be the default.")]})
    InvoiceTemplate.objects.filter(firm_id=template.firm_id, is_default=True).exclude(
        pk=template.pk
    ).update(is_default=False)
    template.is_default = True
    template.save(update_fields=["is_default"])
    audit.record(AuditName.TEMPLATE_MADE_DEFAULT, template, by=by, firm_id=template.firm_id)
    return template


@action
def archive_template(
    template: InvoiceTemplate | int, *, by: User, archived: bool = True
) -> InvoiceTemplate:
    _require_manager(by)
    template = _own(by, template)
    if archived and template.is_default:
        raise Invalid({"template": [_("Make another template the default first.")]})
    template.archived_at = timezone.now() if archived else None
    template.save(update_fields=["archived_at"])
    audit.record(
        AuditName.TEMPLATE_ARCHIVED if archived else AuditName.TEMPLATE_RESTORED,
        template,
        by=by,
        firm_id=template.firm_id,
    )
    return template


def sample_snapshot(firm: Firm, template: InvoiceTemplate, *, language: str = "") -> dict:
    """A made-up invoice with the firm's real identity, for the template preview."""
    currency = firm.default_currency or "EUR"
    rows = [
        ("Tenue comptable mensuelle — novembre", "1", "450.00", "20", "0"),
        ("Conseil fiscal (heures)", "2.5", "135.00", "20", "0"),
        ("Bulletins de paie", "12", "28.50", "20", "10"),
    ]
    lines, pairs = [], []
    for description, quantity, price, rate, discount in rows:
        net = money.line_net(Decimal(quantity), Decimal(price), Decimal(discount), currency)
        pairs.append((net, Decimal(rate)))
        lines.append(
            {
                "description": description,
                "quantity": quantity,
                "unit_price": price,
                "vat_rate": rate,
                "discount_percent": discount,
                "net": str(net),
            }
        )
    totals = money.compute_totals(pairs, currency)
    today = timezone.localdate()
    return {
        "version": 1,
        "number": "0001054",
        "payment_reference": payment_reference("0001054"),  # the QR code shows where it goes
        "issue_date": today.isoformat(),
        "due_date": (today + datetime.timedelta(days=firm.default_payment_terms_days)).isoformat(),
        "payment_terms_days": firm.default_payment_terms_days,
        "currency": currency,
        "language": template.label_language or language or "fr",
        "notes": "Merci de votre confiance.",
        "seller": seller_snapshot(firm),
        "buyer": {
            "id": 0,
            "name": "Boulangerie Lefèvre SARL",
            "address_line1": "12 rue des Lilas",
            "address_line2": "",
            "postal_code": "75011",
            "city": "Paris",
            "country": "FR",
            "company_id": "812345678",
            "vat_number": "FR12812345678",
            "contact_name": "",
            "contact_email": "",
        },
        "lines": lines,
        "totals": totals_snapshot(totals),
        "template": template_settings(template),
    }
