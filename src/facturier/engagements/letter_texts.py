"""What an engagement letter says: its placeholders, their values for one engagement in
the letter's language (amounts and dates by Babel), the default templates, and the data
the Typst layout prints (pure: the engagement in, strings out)."""

import base64
import datetime
import re
import string
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter
from facturier.invoicing.documents.layout import FONTS, PAPERS, legal_line, party_block
from facturier.invoicing.documents.renderer import get_renderer
from facturier.invoicing.snapshots import seller_snapshot, template_settings

from .models import Engagement, FeeKind, Frequency, Mission
from .texts import long_date

LAYOUT = Path(__file__).resolve().parent / "documents" / "engagement_letter.typ"

# Every name a template may use, in braces: {client_name}.
PLACEHOLDERS = (
    "firm_name",
    "firm_address",
    "firm_identifiers",
    "client_name",
    "client_address",
    "client_identifiers",
    "responsible",
    "reference",
    "version",
    "letter_date",
    "start_date",
    "end_date",
    "duration",
    "renewal",
    "missions",
    "fees",
    "billing_schedule",
    "revision",
    "payment_terms",
    "payment_method",
    "general_terms",
)


def placeholders_in(body: str) -> list[str]:
    """The names a text uses, in order; Invalid if its braces do not pair."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError:
        raise Invalid(
            {"body": [_("A brace is not closed: write {{ and }} for braces themselves.")]},
            codes={"body": ["malformed_placeholder"]},
        ) from None
    if any(spec or conversion for _text, _name, spec, conversion in parsed):
        raise Invalid(
            {"body": [_("Write a placeholder as its name in braces alone, as {client_name}.")]},
            codes={"body": ["malformed_placeholder"]},
        )
    return [name for _text, name, _spec, _conv in parsed if name is not None]


def check_body(body: str) -> None:
    """Refuses a text naming a placeholder no letter knows (the first one named)."""
    for name in placeholders_in(body):
        if name not in PLACEHOLDERS:
            raise Invalid(
                {
                    "body": [
                        _("Unknown placeholder {%(name)s}. Known ones: %(known)s.")
                        % {"name": name, "known": ", ".join(PLACEHOLDERS)}
                    ]
                },
                codes={"body": ["unknown_placeholder"]},
            )


EMPTY_BRACKETS = re.compile(r" ?\(\s*\)")


def fill(body: str, values: dict[str, str]) -> str:
    """The text with each placeholder replaced (checked first: nothing else is read);
    brackets left empty by an empty value ("(SIREN ...)" of a client with none) go."""
    check_body(body)
    return EMPTY_BRACKETS.sub("", body.format_map(values))


def _address(party) -> str:
    lines = [party.address_line1, party.address_line2, f"{party.postal_code} {party.city}"]
    return ", ".join(line.strip() for line in lines if line and line.strip())


def _identifiers(company_id: str, vat_number: str) -> str:
    parts = []
    if company_id:
        parts.append(_("SIREN %(siren)s") % {"siren": company_id})
    if vat_number:
        parts.append(_("VAT no. %(vat)s") % {"vat": vat_number})
    return ", ".join(parts)


FREQUENCY_WORDS = {
    Frequency.MONTHLY: lambda: pgettext("billed", "monthly"),
    Frequency.QUARTERLY: lambda: pgettext("billed", "quarterly"),
    Frequency.HALF_YEARLY: lambda: pgettext("billed", "half-yearly"),
    Frequency.YEARLY: lambda: pgettext("billed", "yearly"),
    Frequency.INSTALMENTS: lambda: pgettext("billed", "in instalments"),
}


def _mission_item(name: str, text: str) -> str:
    return "– " + _("%(mission)s: %(terms)s") % {"mission": name, "terms": text}


def _mission_line(mission: Mission, fmt: Formatter) -> str:
    parts = []
    if mission.fee_kind in (FeeKind.FIXED, FeeKind.BOTH) and mission.annual_fee is not None:
        parts.append(
            _("fixed annual fee of %(fee)s excluding VAT (VAT %(rate)s)")
            % {"fee": fmt.money(mission.annual_fee), "rate": fmt.percent(mission.vat_rate)}
        )
    if mission.fee_kind in (FeeKind.TIME, FeeKind.BOTH):
        text = _("fees for the time spent, at our rates")
        if mission.time_cap is not None:
            text += " " + _("(capped at %(cap)s a period)") % {"cap": fmt.money(mission.time_cap)}
        parts.append(text)
    return _mission_item(mission.name, _(" and ").join(parts))


def _schedule_line(mission: Mission, fmt: Formatter, language: str) -> str | None:
    if not mission.has_fixed_fee or mission.annual_fee is None:
        return None
    if mission.frequency == Frequency.INSTALMENTS:
        dates = (fmt.spaced(";") + " ").join(
            f"{long_date(row.date, language)}{fmt.spaced(':')} {fmt.money(row.amount)}"
            for row in mission.instalments.all()
        )
        return _mission_item(mission.name, _("in instalments (%(dates)s)") % {"dates": dates})
    timing = _("in advance") if mission.timing == "advance" else _("in arrears")
    schedule = _("%(frequency)s, %(timing)s, on day %(day)s") % {
        "frequency": FREQUENCY_WORDS[mission.frequency](),
        "timing": timing,
        "day": fmt.day_of_month(mission.billing_day),
    }
    return _mission_item(mission.name, schedule)


def _time_schedule_line(mission: Mission, fmt: Formatter) -> str | None:
    """When a mission's time is billed: after each period of its frequency (monthly for
    a mission billed by instalments), on its billing day."""
    if mission.fee_kind not in (FeeKind.TIME, FeeKind.BOTH):
        return None
    frequency = mission.frequency
    if frequency == Frequency.INSTALMENTS:
        frequency = Frequency.MONTHLY
    schedule = _("time spent, %(frequency)s, %(timing)s, on day %(day)s") % {
        "frequency": FREQUENCY_WORDS[frequency](),
        "timing": _("in arrears"),
        "day": fmt.day_of_month(mission.billing_day),
    }
    return _mission_item(mission.name, schedule)


def _deposit_line(deposit: Decimal | None, fmt: Formatter) -> str | None:
    if deposit is None:
        return None
    return "– " + _(
        "Deposit on signature: %(amount)s excluding VAT, deducted from the invoices that follow"
    ) % {"amount": fmt.money(deposit)}


def _term_texts(engagement: Engagement, language: str) -> dict[str, str]:
    start = long_date(engagement.start_date, language)
    if engagement.end_date:
        end = long_date(engagement.end_date, language)
        duration = _("The engagement runs from %(start)s to %(end)s.") % {
            "start": start,
            "end": end,
        }
    else:
        end = ""
        duration = _("The engagement starts on %(start)s.") % {"start": start}
    renewal = ""
    if engagement.tacit_renewal:
        renewal = _(
            "It is renewed each year by tacit agreement, unless either party gives notice "
            "by registered letter %(months)s months before its anniversary."
        ) % {"months": engagement.notice_months}
    return {"start_date": start, "end_date": end, "duration": duration, "renewal": renewal}


def _revision_text(engagement: Engagement, fmt: Formatter) -> str:
    if engagement.indexation == "percent" and engagement.indexation_percent is not None:
        return _("Fees are revised once a year by %(percent)s.") % {
            "percent": fmt.percent(engagement.indexation_percent)
        }
    if engagement.indexation == "index":
        return _("Fees are revised once a year by the ratio of the %(index)s index.") % {
            "index": engagement.index_name
        }
    return ""


def _payment_terms_days(engagement: Engagement) -> int:
    """The terms the engagement's invoices get: its own, else its client's, else the
    firm's (as a draft takes them), so the letter promises what the invoices say."""
    for terms in (
        engagement.payment_terms_days,
        engagement.client.payment_terms_days,
        engagement.firm.default_payment_terms_days,
    ):
        if terms is not None:
            return terms
    return 0


def values(
    engagement: Engagement,
    *,
    language: str,
    day: datetime.date,
    general_terms: str,
    deposit: Decimal | None = None,
) -> dict[str, str]:
    """Every placeholder's text for this engagement, in `language`. `deposit`: what the
    engagement asks at signature, before VAT (its invoice's amount), if it asks one."""
    firm, client = engagement.firm, engagement.client
    with translation.override(language):
        fmt = Formatter(language, client.currency)
        missions = list(engagement.missions.prefetch_related("instalments"))
        fees = sum(
            (m.annual_fee for m in missions if m.has_fixed_fee and m.annual_fee is not None),
            Decimal(0),
        )
        schedule = [_schedule_line(m, fmt, language) for m in missions]
        schedule += [_time_schedule_line(m, fmt) for m in missions]
        schedule.append(_deposit_line(deposit, fmt))
        terms = _payment_terms_days(engagement)
        return {
            "firm_name": firm.name,
            "firm_address": _address(firm),
            "firm_identifiers": _identifiers(firm.siren, firm.vat_number),
            "client_name": client.name,
            "client_address": _address(client),
            "client_identifiers": _identifiers(client.company_id, client.vat_number),
            "responsible": engagement.responsible.get_full_name()
            or engagement.responsible.username,
            "reference": engagement.reference,
            "version": str(engagement.version),
            "letter_date": long_date(day, language),
            **_term_texts(engagement, language),
            "missions": "\n".join(_mission_line(m, fmt) for m in missions),
            "fees": fmt.money(fees),
            "billing_schedule": "\n".join(line for line in schedule if line),
            "revision": _revision_text(engagement, fmt),
            "payment_terms": _("on receipt")
            if not terms
            else _("within %(days)s days") % {"days": terms},
            "payment_method": _("direct debit")
            if engagement.payment_method == "direct_debit"
            else _("bank transfer"),
            "general_terms": general_terms.strip(),
        }


def _paragraphs(text: str) -> list[dict[str, Any]]:
    """Blank lines part paragraphs; a paragraph that starts with "# " is a heading."""
    found = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        block = block.strip("\n")
        if not block.strip():
            continue
        heading = block.startswith("# ")
        found.append({"heading": heading, "lines": (block[2:] if heading else block).split("\n")})
    return found


def _frame(engagement: Engagement, template, language: str, day: datetime.date) -> dict:
    firm, client = engagement.firm, engagement.client
    look = template_settings(template)
    logo = None
    if look.get("logo"):
        logo = get_renderer(LAYOUT).logo_path(
            base64.b64decode(look["logo"]), look.get("logo_content_type", "")
        )
    seller = seller_snapshot(firm)
    buyer = {
        "name": client.name,
        "address_line1": client.address_line1,
        "address_line2": client.address_line2,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
    }
    place = f"{firm.city}, " if firm.city else ""
    return {
        "lang": language,
        "paper": PAPERS.get(look.get("paper"), "a4"),
        "font": FONTS.get(look.get("font"), "Inter"),
        "accent": look.get("accent_color") or "#1f4e79",
        "logo": logo,
        "seller": party_block(seller, _identifiers(firm.siren, firm.vat_number).split(", ")),
        "recipient": party_block(buyer, []),
        "place_date": place + long_date(day, language),
        "legal_footer": legal_line(seller),
    }


def letter_document(
    engagement: Engagement,
    *,
    body: str,
    general_terms: str,
    invoice_template,
    language: str,
    day: datetime.date,
    deposit: Decimal | None = None,
) -> dict[str, Any]:
    """What the layout prints: the firm's look, the parties, the filled text."""
    filled = values(
        engagement, language=language, day=day, general_terms=general_terms, deposit=deposit
    )
    text = fill(body, filled)
    with translation.override(language):
        document = _frame(engagement, invoice_template, language, day)
        document["seller"]["ids"] = [i for i in document["seller"]["ids"] if i]
        document.update(
            title=_("Engagement letter"),
            subtitle=_("Reference %(reference)s, version %(version)s")
            % {"reference": engagement.reference, "version": engagement.version},
            page_pattern=_("Page {page} of {pages}"),
            paragraphs=_paragraphs(text),
        )
    return document


def render(document: dict[str, Any]) -> bytes:
    return get_renderer(LAYOUT).render(document)


def default_templates() -> Iterable[dict[str, str]]:
    """The templates a new firm starts with, one per language (documents/default_*)."""
    names = {"fr": "Lettre de mission (standard)", "en": "Engagement letter (standard)"}
    folder = LAYOUT.parent
    return [
        {
            "name": name,
            "language": language,
            "body": (folder / f"default_letter.{language}.txt").read_text("utf-8").strip(),
            "general_terms": (folder / f"default_terms.{language}.txt").read_text("utf-8").strip(),
        }
        for language, name in names.items()
    ]
