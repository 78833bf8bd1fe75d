"""The Jinja2 environment of the pages rendered row by row at scale.

Most pages are Django templates. The Invoices table (25 rows of a dozen cells, an
action toolbar, at every filter change) is a Jinja2 template: Jinja2 compiles a
template to Python once, where Django's engine walks its nodes on every render,
which made that table most of the page's time. The same filters serve both engines
(web/templatetags/billing.py). Translatable text is written `_("...")`, which
`makemessages` reads in both kinds of template.
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment, StrictUndefined

from .templatetags import billing


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def environment(**options) -> Environment:
    # A name the view does not pass is an error, not a silently empty cell.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.globals.update(
        url=url, static=static, _=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext
    )
    env.filters.update(
        money=billing.money,
        amount=billing.amount,
        day=billing.day,
        moment=billing.moment,
        why_attributes=billing.why_attributes,
    )
    return env
