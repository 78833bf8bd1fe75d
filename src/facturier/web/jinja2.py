"""The Jinja2 environment of the pages rendered row by row at scale.

Most pages are Django templates. The Invoices page's own part (filters, action
toolbar, 25 rows of a dozen cells, pagination; the table alone at every filter
change) is Jinja2: Jinja2 compiles a template to Python once, where Django's engine
walks its nodes on every render, which made that page's time. The same filters serve
both engines (web/templatetags/billing.py). Translatable text is written `_("...")`,
which `makemessages` reads in both kinds of template.

What a template asks many times per render is answered from a memo: a message's
translation (the toolbar alone has forty), a choice's label, a URL. Each is a pure
function of its arguments, the active language and the settings; the `translations`
context processor gives a render its language's memo once, and a settings change (in
tests) empties the memos.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language, gettext, ngettext, pgettext
from jinja2 import Environment, StrictUndefined

from facturier.invoicing.lifecycle import Status

from .templatetags import billing

_translations: dict[str | None, dict] = {}  # language -> memo


def translator(language: str | None = None):
    """gettext and pgettext for `language` (the active one by default), memoized."""
    language = language or get_language()
    memo = _translations.setdefault(language, {})

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

    return translate, translate_in_context


def translations(request) -> dict:
    """Context processor: a render's `_` reads the language once, not at every message."""
    translate, translate_in_context = translator()
    return {"_": translate, "gettext": translate, "pgettext": translate_in_context}


def translate(message: str) -> str:
    return translator()[0](message)


def translate_in_context(context: str, message: str) -> str:
    return translator()[1](context, message)


def label(value, choices=None) -> str:
    """The label of a choice (a TextChoices member, or a value and its choices class)
    in the active language."""
    choices = choices or type(value)
    memo = _translations.setdefault(get_language(), {})
    key = (choices, value)
    try:
        return memo[key]
    except KeyError:
        translated = memo[key] = str(choices(value).label)
        return translated


def url(name: str, *args) -> str:
    return _reverse(get_urlconf(), get_script_prefix(), name, args)


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
        Status=Status,
        options=billing.options,
    )
    env.filters.update(
        money=billing.money,
        amount=billing.amount,
        day=billing.day,
        moment=billing.moment,
        why_attributes=billing.why_attributes,
        label=label,
    )
    return env
