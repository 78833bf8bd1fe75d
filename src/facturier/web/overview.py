"""The Billing overview: the figures a firm checks first, with charts drawn on the server
(pygal, SVG in the page: nothing to build, no script) beside the tables they come from."""

import datetime
import re

import pygal
from babel.dates import format_date
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from pygal.style import Style

from facturier.core.formatting import Formatter
from facturier.receivables.aging import BUCKETS
from facturier.receivables.overview import overview

from .common import section
from .templatetags.billing import amount

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=("#2e7d32", "#f9a825", "#ef6c00", "#d84315", "#b71c1c", "#1f4e79", "#6a1b9a"),
    value_font_size=11,
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
)


def _chart(kind, *, title: str, labels: list[str], formatter) -> pygal.Graph:
    chart = kind(
        js=[],  # no tooltips script fetched from elsewhere: the values are printed
        disable_xml_declaration=True,
        style=STYLE,
        width=720,
        height=300,
        print_values=True,
        value_formatter=formatter,
        show_y_guides=True,
        legend_at_bottom=True,
        title=title,
        explicit_size=False,
    )
    chart.x_labels = labels
    return chart


SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart: pygal.Graph, name: str, nonce: str) -> str:
    """The chart as inline SVG under the page's Content-Security-Policy: pygal's
    tooltip script goes (nothing would run it), its stylesheet carries the page's
    nonce, and its one inline style becomes an attribute."""
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    svg = svg.replace("<style", f'<style nonce="{nonce}"').replace(
        ' style="opacity: 0"', ' opacity="0"'
    )
    return mark_safe(svg.replace("<svg ", f'<svg role="img" data-chart="{name}" ', 1))  # noqa: S308 - pygal escapes the labels and values it writes


def _month_label(day: datetime.date, fmt: Formatter) -> str:
    return format_date(day, "MMM yy", locale=fmt.locale)


@login_required
@require_GET
def overview_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    nonce = str(request.csp_nonce)
    currency = request.user.firm.default_currency if request.user.firm_id else "EUR"
    data = overview(user=request.user, day=today, currency=currency)
    fmt = Formatter(get_language() or "fr", currency)
    labels = [str(label) for label, _first, _last in BUCKETS]

    # A chart per currency: euros and dollars on one axis, or stacked, would add up
    # amounts that do not add. The firm's own currency first.
    codes = sorted(data.aging.totals, key=lambda code: (code != currency, code))
    aging_svgs = []
    for code in codes:
        aging_chart = _chart(
            pygal.Bar,
            title=_("Aging today (%(currency)s)") % {"currency": code},
            labels=labels,
            formatter=amount,
        )
        aging_chart.add(code, [float(value) for value in data.aging.totals[code].buckets])
        name = "aging" if code == codes[0] else f"aging-{code}"
        aging_svgs.append(_svg(aging_chart, name, nonce))
    months = [_month_label(month.end, fmt) for month in data.months]
    dso_chart = _chart(
        pygal.Line,
        title=_("Days sales outstanding"),
        labels=months,
        formatter=lambda value: str(int(value)),
    )
    dso_chart.add(_("DSO (days)"), [m.dso for m in data.months])
    collected_chart = _chart(
        pygal.Line,
        title=_("Collections per month (%(currency)s)") % {"currency": currency},
        labels=months,
        formatter=amount,
    )
    collected_chart.add(_("Collected"), [float(month.collected) for month in data.months])
    return render(
        request,
        "billing/overview.html",
        section(
            "billing",
            "overview",
            data=data,
            labels=labels,
            months=list(zip(months, data.months, strict=True)),
            aging_svgs=aging_svgs,
            dso_svg=_svg(dso_chart, "dso", nonce),
            collected_svg=_svg(collected_chart, "collections", nonce),
        ),
    )
