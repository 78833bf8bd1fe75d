import datetime
import functools
import html
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, to_locale

from facturier.core.formatting import date_text, datetime_text
from facturier.core.identifiers import iban_for_reading
from facturier.invoicing import history, payment_reference
from facturier.invoicing.lifecycle import InvoiceStatus

register = template.Library()


def _locale() -> str:
    return _babel_locale(get_language())


@functools.lru_cache(maxsize=16)
def _babel_locale(language: str | None) -> str:
    return to_locale(language or "en")


@register.filter
def money(amount, currency="EUR"):
    """1 234,56 € in French, €1,234.56 in English."""
    if amount in (None, ""):
        return ""
    return _currency(Decimal(amount), currency or "EUR", _locale())


# Babel parses its pattern and walks its locale data on every call, the larger part of
# a table cell's time; the same figures and dates come back row after row, escaped once.
@functools.lru_cache(maxsize=8192)
def _currency(amount: Decimal, currency: str, locale: str) -> SafeString:
    return mark_safe(html.escape(format_currency(amount, currency, locale=locale)))  # noqa: S308


@functools.lru_cache(maxsize=8192)
def _date(value: datetime.date, locale: str) -> SafeString:
    return mark_safe(html.escape(date_text(value, "medium", locale)))  # noqa: S308


@register.filter
def iban(value):
    """FR76 3000 6000 0112 3456 7890 189: an IBAN in groups of four, as people read it."""
    return iban_for_reading(value)


@register.filter
def amount(value):
    """1 234,50 in French, 1,234.50 in English: a figure whose currency is said beside it
    (a column's header, a chart's legend)."""
    if value in (None, ""):
        return ""
    return format_decimal(Decimal(str(value)), format="#,##0.00", locale=_locale())


@register.filter
def number(value):
    """2,5 in French, 2.5 in English: as many decimals as the value needs."""
    if value in (None, ""):
        return ""
    return format_decimal(Decimal(str(value)).normalize() + 0, locale=_locale())


@register.filter
def day(value):
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):  # the day it is where it is read, not in UTC
            value = timezone.localtime(value)
        return date_text(value, "medium", _locale())
    return _date(value, _locale())


@register.filter
def creditor_reference(value: str) -> str:
    """An RF reference in groups of four, as the PDF prints it."""
    return payment_reference.printed(value) if value else ""


@register.filter
def moment(value):
    if not value:
        return ""
    return datetime_text(
        timezone.localtime(value), "medium", _locale(), tzinfo=timezone.get_current_timezone()
    )


@register.filter
def describe(event):
    """An invoice history line, as the app that recorded the event says it reads."""
    return history.describe(event)


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if mapping else ""


# Quotes as numeric references, as the Invoices page has always written text echoed
# from its URL into an attribute.
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


@register.filter
def attribute(value) -> SafeString:
    """Text escaped for an attribute's value (a search box echoing what was searched)."""
    return mark_safe(str(value).translate(_ATTRIBUTE))  # noqa: S308 -- escaped here


@register.simple_tag(takes_context=True)
def csrf_input(context) -> SafeString:
    """The CSRF field of a part of a page that is also served alone (the Invoices table,
    on a filter change): its token masked for it, as in that response, not the
    layout's."""
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(context.request)
    )


@register.simple_tag
def row_url(name: str, pk) -> str:
    """{% url name pk %} for each row of a table, memoized: reverse() walks the URL
    patterns at every call, and a page links every row it lists. Keyed by the request's
    URL configuration and script prefix, which reverse() reads."""
    return _reverse(get_urlconf(), get_script_prefix(), name, pk)


@functools.lru_cache(maxsize=16_384)
def _reverse(urlconf, prefix: str, name: str, pk) -> str:
    return reverse(name, args=[pk], urlconf=urlconf)


@register.simple_tag
def options(choices, selected=None):
    """<option>s for (value, label) pairs, written in one pass: a firm's client filter
    lists up to thousands of clients, which the template engine renders far slower,
    node by node. The list is the same from one page to the next (the selected one
    aside): it is written once and kept until a client is added or renamed."""
    written = _options(tuple(choices))
    if selected is not None:
        option = f'<option value="{_option_value(selected)}">'
        written = written.replace(option, f"{option[:-1]} selected>", 1)
    return mark_safe(written)  # noqa: S308 -- each value and label escaped by _options


@functools.lru_cache(maxsize=64)
def _options(choices: tuple) -> str:
    # (The standard library's escape, on short text, is five times markupsafe's, which
    # wraps each result in a Markup object.)
    return "".join(
        f'<option value="{_option_value(value)}">{html.escape(str(label))}</option>'
        for value, label in choices
    )


def _option_value(value) -> str:
    return str(value) if type(value) is int else html.escape(str(value))


@register.filter
def why_attributes(reasons):
    """data-why-<action>="<reason>" for each action of a row (the toolbar reads them to
    enable its buttons). A page's rows share a few sets of reasons: each is written
    once."""
    # (Each reason as text: a lazy one would compare in the language of the moment.)
    return _why_attributes(tuple((name, str(reason)) for name, reason in reasons.items()))


@functools.lru_cache(maxsize=256)
def _why_attributes(reasons: tuple) -> SafeString:
    return mark_safe(  # noqa: S308 -- each reason escaped here
        "".join(f' data-why-{name}="{html.escape(reason)}"' for name, reason in reasons)
    )


# A choice's label in a language: the table asks one per row and per payment state,
# and a lazy label is translated anew at each read.
_labels: dict[tuple, str] = {}


@register.filter
def label(value, choices=None) -> str:
    """The label of a choice in the active language: a TextChoices member, or a value
    and its choices class."""
    choices = choices or type(value)
    key = (get_language(), choices, value)
    try:
        return _labels[key]
    except KeyError:
        translated = _labels[key] = str(choices(value).label)
        return translated


@register.filter
def status_label(value) -> str:
    """An invoice's status (its stored value) as the user reads it."""
    return label(value, InvoiceStatus)


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _labels.clear()
    _reverse.cache_clear()


@register.simple_tag
def once_key() -> SafeString:
    """The hidden key that makes a form act once (web.once), minted at each rendering."""
    import uuid

    return format_html('<input type="hidden" name="idempotency_key" value="{}">', uuid.uuid4())


@register.simple_tag
def client_rows(rows, archived_label):
    """The Clients list's rows written in one pass (a page of 25 with six cells each is
    the larger part of the page's time through the template engine)."""
    account = reverse("billing:client_account", args=[1])[:-2]  # ".../clients/"
    written = []
    for client, owed in rows:
        badge = f' <span class="badge">{html.escape(archived_label)}</span>'
        place = html.escape(client.city) + (
            f" ({html.escape(client.country)})" if client.country != "FR" else ""
        )
        balance = ", ".join(money(amount, currency) for currency, amount in owed.items())
        written.append(
            f'<tr><td><a href="{account}{client.pk}/">{html.escape(client.name)}</a>'
            f"{badge if client.archived_at else ''}</td>"
            f"<td>{html.escape(client.company_id)}</td>"
            f"<td>{html.escape(client.vat_number)}</td>"
            f"<td>{place}</td><td>{html.escape(client.einvoice_address)}</td>"
            f'<td class="num">{balance or "—"}</td></tr>'
        )
    return mark_safe("\n".join(written))  # noqa: S308 -- every value escaped above
