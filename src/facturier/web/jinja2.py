"""The Jinja2 environment of the pages rendered row by row at scale.

Most pages are Django templates. The Invoices page's own part (filters, action
toolbar, 25 rows of a dozen cells, pagination; the table alone at every filter
change) is Jinja2: Jinja2 compiles a template to Python once, where Django's engine
walks its nodes on every render, which made that page's time. The same filters serve
both engines (web/templatetags/billing.py). Translatable text is written `_("...")`,
which `makemessages` reads in both kinds of template.

What a template asks many times per render is answered from a memo: a message's
translation (the toolbar alone has forty), a choice's label, a URL. Each is a pure
function of its arguments, the active language and the settings; the `helpers`
context processor reads the language and URL configuration once per render (each is
a thread-local lookup), and a settings change (in tests) empties the memos.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language, gettext, ngettext, pgettext, to_locale
from jinja2 import Environment, StrictUndefined, pass_context

from facturier.invoicing.lifecycle import InvoiceStatus

from .templatetags import billing

_translations: dict[str | None, dict] = {}  # language -> memo


def helpers(request=None) -> dict:
    """Context processor: what a render asks at every row, bound once to the request's
    language and URL configuration (each read is a thread-local lookup): `_`, `gettext`,
    `pgettext`, `url`, and the language and Babel locale the filters format with."""
    language = get_language()
    memo = _translations.setdefault(language, {})
    urlconf, prefix = get_urlconf(), get_script_prefix()

    def translate(message: str) -> str:
        try:
            return memo[message]
        except KeyError:
            translated = memo[message] = gettext(message)
            return translated

    def translate_in_context(context: str, message: str) -> str:
        key = (context, message)
        try:
            return memo[key]
        except KeyError:
            translated = memo[key] = pgettext(context, message)
            return translated

    def url(name: str, *args) -> str:
        return _reverse(urlconf, prefix, name, args)

    return {
        "_": translate,
        "gettext": translate,
        "pgettext": translate_in_context,
        "url": url,
        "language": language,
        "locale": to_locale(language or "en"),
    }


def translate(message: str) -> str:
    return helpers()["_"](message)


def translate_in_context(context: str, message: str) -> str:
    return helpers()["pgettext"](context, message)


def url(name: str, *args) -> str:
    return helpers()["url"](name, *args)


@pass_context
def label(context, value, choices=None) -> str:
    """The label of a choice (a TextChoices member, or a value and its choices class)
    in the render's language."""
    choices = choices or type(value)
    memo = _translations.setdefault(context.get("language") or get_language(), {})
    key = (choices, value)
    try:
        return memo[key]
    except KeyError:
        translated = memo[key] = str(choices(value).label)
        return translated


@pass_context
def money(context, amount, currency="EUR") -> str:
    return billing.money(amount, currency, locale=context.get("locale"))


@pass_context
def day(context, value) -> str:
    return billing.day(value, locale=context.get("locale"))


@functools.lru_cache(maxsize=16_384)
def _reverse(urlconf, prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args, urlconf=urlconf)


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _translations.clear()
    _reverse.cache_clear()


def environment(**options) -> Environment:
    # A name the view does not pass is an error, not a silently empty cell.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.globals.update(
        url=url,
        static=static,
        _=translate,
        gettext=translate,
        ngettext=ngettext,
        pgettext=translate_in_context,
        Status=InvoiceStatus,
        options=billing.options,
    )
    env.filters.update(
        money=money,
        amount=billing.amount,
        day=day,
        moment=billing.moment,
        why_attributes=billing.why_attributes,
        label=label,
    )
    return env
