"""Time and expenses in the Billing app: recording one's entries, the WIP tab, and a
new invoice from a client's work in progress."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facturier.clients.models import Client
from facturier.clients.permissions import visible_clients
from facturier.core.actions import unit_of_work
from facturier.core.downloads import uploaded_file
from facturier.core.errors import DomainError, Invalid
from facturier.core.formatting import Formatter
from facturier.engagements.selectors import mission_choices
from facturier.firms.models import User
from facturier.invoicing import actions as invoicing
from facturier.work import actions
from facturier.work.models import EntryKind, receipt_filename
from facturier.work.permissions import may_record
from facturier.work.selectors import (
    WIP_BUCKETS,
    WipFilters,
    client_wip,
    most_used_billable_code,
    own_entries,
    staff_entries,
    wip_by_client,
    work_codes,
)
from facturier.work.selectors import entry_receipt as entry_receipt_of

from .common import ids_from, refusal_text, section
from .fields import DayField, IdField, as_typed

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=EntryKind.choices)
    client = IdField(label=gettext_lazy("Client"))
    work_code = forms.CharField(label=gettext_lazy("Work code"), max_length=20)
    day = DayField(label=gettext_lazy("Date"), widget=DATE)
    hours = forms.CharField(
        label=gettext_lazy("Hours"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("1.5 or 1:30"),
    )
    amount = forms.CharField(label=gettext_lazy("Amount excl. VAT"), required=False, max_length=20)
    vat_rate = forms.CharField(label=gettext_lazy("VAT rate (%)"), required=False, max_length=10)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    billable = forms.BooleanField(label=gettext_lazy("Billable"), required=False, initial=True)
    mission = forms.CharField(label=gettext_lazy("Mission"), required=False, max_length=20)
    receipt = forms.FileField(label=gettext_lazy("Receipt (PDF, JPEG or PNG)"), required=False)


@login_required
@require_http_methods(["GET", "POST"])
def time_view(request: HttpRequest) -> HttpResponse:
    """One's own time and expenses: the latest entries, a form to add one."""
    user = request.user
    form = EntryForm(
        request.POST or None,
        request.FILES or None,
        initial={"day": timezone.localdate(), "kind": EntryKind.TIME, "billable": True},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            row = {
                "client": data["client"],
                "work_code": data["work_code"],
                "day": data["day"],
                "hours": data["hours"],
                "amount": data["amount"],
                "vat_rate": data["vat_rate"] or "0",
                "description": data["description"],
                "billable": data["billable"],
                "mission": data["mission"],
            }
            if data.get("receipt"):
                row["receipt"] = data["receipt"].read(actions.MAX_RECEIPT + 1)
            try:
                (entry,) = actions.record_entries([row], by=user)
            except Invalid as exc:
                for key, errors in exc.errors.items():
                    field = key.rsplit(".", 1)[-1]
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Entry recorded: %(entry)s.") % {"entry": _said(entry)})
                return redirect("billing:time")
        status = 422
    firm_id = user.firm_id
    return render(
        request,
        "billing/time.html",
        section(
            "billing",
            "time",
            form=form,
            may_record=may_record(user),
            entries=list(own_entries(user=user)) if firm_id else [],
            clients=list(Client.objects.filter(firm_id=firm_id).values_list("pk", "name")),
            codes=list(work_codes(firm_id=firm_id)) if firm_id else [],
            missions=mission_choices(firm_id=firm_id) if firm_id else [],
        ),
        status=status,
    )


def _reader(currency: str = "EUR") -> Formatter:
    """Figures and dates in a message, as the user's language writes them."""
    return Formatter(get_language() or "en", currency)


def _said(entry) -> str:
    fmt = _reader(entry.client.currency)
    if entry.kind == EntryKind.TIME:
        return f"{fmt.date(entry.day)}, {fmt.number(entry.hours)} h, {entry.client.name}"
    return f"{fmt.date(entry.day)}, {fmt.money(entry.amount)}, {entry.client.name}"


GRID_ROWS = 8


def _week_start(value: str | None) -> "datetime.date":
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    day = max(min(day, today + datetime.timedelta(days=366)), datetime.date(2000, 1, 3))
    return day - datetime.timedelta(days=day.weekday())


@login_required
@require_http_methods(["GET", "POST"])
def week_view(request: HttpRequest) -> HttpResponse:
    """A week of one's time as a grid: a client and a work code per row, a day per
    column; every filled cell becomes an entry, all of them or none. A refusal gives the
    grid back as typed, each message beside its cell."""
    user = request.user
    monday = _week_start(request.POST.get("week") or request.GET.get("week"))
    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    posted = request.POST if request.method == "POST" else {}
    rows, cells = _grid_rows(posted, days)
    refusal = Invalid({})
    if request.method == "POST":
        try:
            entries = actions.record_entries(rows, by=user, limit=GRID_ROWS * 7)
        except DomainError as exc:
            refusal = exc if isinstance(exc, Invalid) else Invalid({"": [str(exc.message)]})
        else:
            messages.success(request, _("%(count)d entries recorded.") % {"count": len(entries)})
            return redirect(reverse("billing:week") + f"?week={monday.isoformat()}")
    grid, errors = _grid(posted, days, cells, refusal.errors, _default_code(user))
    return _week_page(request, monday, grid=grid, errors=errors, status=422 if posted else 200)


def _week_page(request, monday, *, grid, errors, status: int, spread=None) -> HttpResponse:
    """The week's page: its grid (as typed when refused), the spread form (as typed, with
    its refusals, when `spread` is given), the week's entries."""
    user = request.user
    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    week_entries = (
        list(staff_entries(user=user, start=days[0], end=days[-1])) if user.firm_id else []
    )
    return render(
        request,
        "billing/time_week.html",
        section(
            "billing",
            "time",
            days=days,
            monday=monday,
            previous=(monday - datetime.timedelta(days=7)).isoformat(),
            next_week=(monday + datetime.timedelta(days=7)).isoformat(),
            grid=grid,
            clients=list(Client.objects.filter(firm_id=user.firm_id).values_list("pk", "name")),
            codes=[c for c in work_codes(firm_id=user.firm_id) if c.kind == EntryKind.TIME]
            if user.firm_id
            else [],
            missions=mission_choices(firm_id=user.firm_id) if user.firm_id else [],
            entries=week_entries,
            per_day=_hours_per_day(week_entries, days),
            errors=errors,
            may_record=may_record(user),
            spread=spread,
        ),
        status=status,
    )


def _default_code(user) -> str:
    """The code a new row offers: the one the staff member uses most that is billable."""
    return most_used_billable_code(user=user) if user.firm_id else ""


# A refused entry field said beside its row (client, code, mission...), else its cell.
ROW_FIELDS = {"client", "work_code", "description", "mission"}


def _grid_rows(posted, days: list[datetime.date]) -> tuple[list[dict], list[tuple[int, int]]]:
    """An entry's row for each filled cell of the grid, and the cell (grid row, day) of
    each, so that a refusal of entry i is said beside cells[i]."""
    rows, cells = [], []
    for index in range(GRID_ROWS):
        client = posted.get(f"r{index}-client", "")
        code = posted.get(f"r{index}-code", "")
        description = posted.get(f"r{index}-description", "")
        mission = posted.get(f"r{index}-mission", "")
        for offset, day in enumerate(days):
            hours = posted.get(f"r{index}-d{offset}", "").strip()
            if hours:
                rows.append(
                    {
                        "client": client,
                        "work_code": code,
                        "day": day,
                        "hours": hours,
                        "description": description,
                        "mission": mission,
                    }
                )
                cells.append((index, offset))
    return rows, cells


def _grid(posted, days, cells, refused: dict, default_code: str) -> tuple[list[dict], list[str]]:
    """The grid's rows as typed, each refusal beside its row or cell; what belongs to
    no cell is said above the grid."""
    grid = [
        {
            "index": index,
            "client": posted.get(f"r{index}-client", ""),
            "code": posted.get(f"r{index}-code", default_code) if posted else default_code,
            "description": posted.get(f"r{index}-description", ""),
            "mission": posted.get(f"r{index}-mission", ""),
            "errors": [],
            "cells": [
                {
                    "name": f"r{index}-d{offset}",
                    "day": day,
                    "value": posted.get(f"r{index}-d{offset}", ""),
                }
                for offset, day in enumerate(days)
            ],
        }
        for index in range(GRID_ROWS)
    ]
    above = []
    for key, texts in refused.items():
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "entries" or not parts[1].isdigit():
            above += texts
            continue
        row, offset = cells[int(parts[1])]
        if parts[2] in ROW_FIELDS:
            grid[row]["errors"] += [t for t in texts if t not in grid[row]["errors"]]
        else:
            grid[row]["cells"][offset]["error"] = texts[0]
    if refused and not above:
        above = [_("Some cells need attention: see beside them. Nothing was recorded.")]
    return grid, above


def _hours_per_day(entries, days: list[datetime.date]) -> list[Decimal]:
    per_day = {day: Decimal(0) for day in days}
    for entry in entries:
        if entry.hours:
            per_day[entry.day] = per_day.get(entry.day, Decimal(0)) + entry.hours
    return [per_day[day] for day in days]


def _spread_refused(request, form, errors: dict) -> HttpResponse:
    """The week of the period asked (else the current one), the spread form open with what
    was typed and each refusal beside its field; nothing recorded."""
    start = form.cleaned_data.get("start")  # the form was checked: None if refused
    monday = _week_start(start.isoformat() if start else None)
    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    grid, grid_errors = _grid({}, days, [], {}, _default_code(request.user))
    if not may_record(request.user):  # no form to say it beside: said at the top
        messages.error(request, refusal_text(Invalid(errors)))
    post = request.POST
    spread = {name: post.get(name, "") for name in ("client", "work_code", "total", "start")}
    spread |= {"end": post.get("end", ""), "description": post.get("description", "")}
    spread |= {"weekdays": post.getlist("weekdays"), "errors": errors}
    return _week_page(request, monday, grid=grid, errors=grid_errors, status=422, spread=spread)


class SpreadForm(forms.Form):
    client = IdField()
    work_code = forms.CharField(max_length=20)
    total = forms.CharField(max_length=10)
    start = DayField()
    end = DayField()
    weekdays = forms.TypedMultipleChoiceField(
        coerce=int, choices=[(i, str(i)) for i in range(7)], required=False
    )
    description = forms.CharField(required=False, max_length=2000)


@login_required
@require_POST
def spread_view(request: HttpRequest) -> HttpResponse:
    """A total of hours spread evenly over the chosen workdays of a period."""
    form = SpreadForm(request.POST)
    back = reverse("billing:week")
    if not form.is_valid():
        return _spread_refused(request, form, dict(form.errors))
    data = form.cleaned_data
    total = actions.parse_hours(data["total"])
    days = actions.workdays(data["start"], data["end"], set(data["weekdays"] or [0, 1, 2, 3, 4]))
    if total is None or total <= 0:
        return _spread_refused(request, form, {"total": [_("Enter a number of hours above 0.")]})
    if not days:
        return _spread_refused(request, form, {"end": [_("The period has no chosen workday.")]})
    rows = [
        {
            "client": data["client"],
            "work_code": data["work_code"],
            "day": day,
            "hours": str(hours),
            "description": data["description"],
        }
        for day, hours in actions.spread(total, days)
    ]
    try:
        entries = actions.record_entries(rows, by=request.user, limit=366)
    except DomainError as exc:
        return _spread_refused(request, form, {"general": [refusal_text(exc)]})
    else:
        messages.success(
            request,
            _("%(total)s h spread over %(count)d days.")
            % {"total": _reader().number(total), "count": len(entries)},
        )
    return redirect(back + f"?week={data['start'].isoformat()}")


@login_required
@require_POST
def entries_import(request: HttpRequest) -> HttpResponse:
    """A CSV of entries: "Check" lists the refused rows; "Import" writes all or none."""
    from facturier.work import imports

    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("billing:time")
    data = upload.read(imports.MAX_BYTES + 1)
    try:
        if request.POST.get("dry_run"):
            report = imports.dry_run(request.user, data)
        else:
            report = imports.import_entries(request.user, data)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
        return redirect("billing:time")
    return render(
        request,
        "billing/time_import.html",
        section("billing", "time", report=report, dry=bool(request.POST.get("dry_run"))),
        status=200 if report.ok else 422,
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an entry no invoice holds (the same checks as recording one)."""
    from facturier.work.permissions import visible_entries

    entry = (
        visible_entries(request.user).select_related("work_code", "client").filter(pk=pk).first()
    )
    if entry is None:
        raise Http404(_("No such entry."))
    form = EntryForm(request.POST or None, request.FILES or None, initial=_entry_initial(entry))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with unit_of_work():  # the new values and the new receipt, or neither
                    actions.update_entry(
                        entry.pk, by=request.user, fields=_entry_fields(entry, form.cleaned_data)
                    )
                    if receipt := form.cleaned_data.get("receipt"):
                        data = receipt.read(actions.MAX_RECEIPT + 1)
                        actions.attach_receipt(entry.pk, by=request.user, data=data)
            except Invalid as exc:
                for key, errors in exc.errors.items():
                    field = key.rsplit(".", 1)[-1]
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Entry changed."))
                return redirect("billing:time")
        status = 422
    return render(
        request,
        "billing/entry_form.html",
        section(
            "billing",
            "time",
            form=form,
            entry=entry,
            has_receipt=entry.receipt is not None,
            clients=list(
                Client.objects.filter(firm_id=request.user.firm_id).values_list("pk", "name")
            ),
            codes=list(work_codes(firm_id=request.user.firm_id)),
            missions=mission_choices(firm_id=request.user.firm_id),
        ),
        status=status,
    )


@login_required
@require_GET
def entry_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """An expense's receipt as it was uploaded, for whoever sees the entry."""
    found = entry_receipt_of(user=request.user, pk=pk)
    if found is None:
        raise Http404(_("No receipt for this entry."))
    data, content_type = found
    return uploaded_file(data, content_type, receipt_filename(pk, content_type))


def _entry_initial(entry) -> dict:
    """The form's fields from the entry (an expense's amount before its surcharge)."""
    surcharge = Decimal(1) + Decimal(entry.work_code.surcharge_percent or 0) / 100
    return {
        "kind": entry.kind,
        "client": entry.client_id,
        "work_code": entry.work_code.code,
        "day": entry.day,
        "hours": as_typed(entry.hours),
        "amount": as_typed(entry.amount / surcharge, places=2)
        if entry.kind == EntryKind.EXPENSE
        else "",
        "vat_rate": as_typed(entry.vat_rate),
        "description": entry.description,
        "billable": entry.billable,
        "mission": _mission_of(entry),
    }


def _mission_of(entry) -> str:
    link = getattr(entry, "mission_link", None)
    return str(link.mission_id) if link is not None else ""


def _entry_fields(entry, data) -> dict:
    """What the form changes: hours for time, amount and VAT rate for an expense."""
    fields = {
        "client": data["client"],
        "work_code": data["work_code"],
        "day": data["day"],
        "description": data["description"],
        "billable": data["billable"],
        "mission": data["mission"],
    }
    if entry.kind == EntryKind.TIME:
        fields["hours"] = data["hours"]
    else:
        fields["amount"], fields["vat_rate"] = data["amount"], data["vat_rate"] or "0"
    return fields


@login_required
@require_POST
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.delete_entry(pk, by=request.user)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("Entry deleted."))
    return redirect("billing:time")


class WipFilterForm(forms.Form):
    staff = IdField(required=False)
    work_code = IdField(required=False)
    start = DayField(required=False, widget=DATE)
    end = DayField(required=False, widget=DATE)


def _filters(request) -> tuple[WipFilterForm, WipFilters]:
    form = WipFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    return form, WipFilters(
        staff_id=data.get("staff"),
        work_code_id=data.get("work_code"),
        start=data.get("start"),
        end=data.get("end"),
    )


@login_required
@require_GET
def wip_view(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    today = timezone.localdate()
    rows = wip_by_client(user=request.user, today=today, filters=filters)
    firm_id = request.user.firm_id
    totals = {
        "hours": sum((r.hours for r in rows), Decimal(0)),
        "time_value": sum((r.time_value for r in rows), Decimal(0)),
        "expenses": sum((r.expenses for r in rows), Decimal(0)),
        "buckets": [sum((r.buckets[i] for r in rows), Decimal(0)) for i in range(len(WIP_BUCKETS))],
    }
    return render(
        request,
        "billing/wip.html",
        section(
            "billing",
            "wip",
            rows=rows,
            totals=totals,
            buckets=[label for label, _first, _last in WIP_BUCKETS],
            form=form,
            query=request.GET.urlencode(),
            staff=list(User.objects.filter(firm_id=firm_id).order_by("username"))
            if firm_id
            else [],
            codes=list(work_codes(firm_id=firm_id)) if firm_id else [],
            currency=request.user.firm.default_currency if firm_id else "EUR",
        ),
    )


class BillForm(forms.Form):
    bill = forms.ChoiceField(
        label=gettext_lazy("Invoice type"),
        choices=[
            ("final", gettext_lazy("Final: the entries, less the interims and the deposits paid")),
            ("interim", gettext_lazy("Interim: work to date, on account")),
            ("fixed", gettext_lazy("Fixed fee")),
        ],
    )
    cutoff = DayField(label=gettext_lazy("Cut-off date"), required=False, widget=DATE)
    amount = forms.CharField(
        label=gettext_lazy("Amount to bill"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Empty: the WIP value of the selected entries."),
    )
    percent = forms.CharField(
        label=gettext_lazy("Or a write-up or write-down, in %"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("-10: bill 10 % less than the WIP value; 5: 5 % more."),
    )
    allocation = forms.ChoiceField(
        label=gettext_lazy("Write-up or write-down"),
        choices=[
            ("pro_rata", gettext_lazy("Pro rata")),
            ("manual", gettext_lazy("By hand, per entry")),
        ],
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=200)
    grouping = forms.ChoiceField(
        label=gettext_lazy("Lines"),
        choices=[
            ("work_code", gettext_lazy("One per work code")),
            ("entry", gettext_lazy("One per entry")),
        ],
    )


@login_required
@require_http_methods(["GET", "POST"])
def wip_client_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A client's unbilled entries, and a new invoice from those selected."""
    client = visible_clients(request.user).filter(pk=pk).first()
    if client is None:
        raise Http404(_("No such client."))
    _form, filters = _filters(request)
    entries = list(client_wip(user=request.user, client_id=client.pk, filters=filters))
    today = timezone.localdate()
    form = BillForm(
        request.POST or None,
        initial={
            "bill": "work",
            "cutoff": today,
            "allocation": "pro_rata",
            "grouping": "work_code",
        },
    )
    chosen = set(ids_from(request.POST.getlist("entries"))) if request.method == "POST" else None
    preview = None
    if request.method == "POST" and form.is_valid() and request.POST.get("preview"):
        preview = _preview(form, entries, chosen)
    elif request.method == "POST" and form.is_valid():
        draft = _draft(request, form, client=client, chosen=chosen)
        if draft is not None:
            count = len(chosen)
            text = ngettext(
                "Draft created from %(count)d entry.",
                "Draft created from %(count)d entries.",
                count,
            )
            messages.success(request, text % {"count": count})
            return redirect(reverse("billing:invoice_edit", args=[draft.pk]))
    status = 422 if request.method == "POST" and preview is None else 200
    cutoff = form.cleaned_data.get("cutoff") if form.is_bound and form.is_valid() else today
    cutoff = cutoff or today
    return render(
        request,
        "billing/wip_client.html",
        section(
            "billing",
            "wip",
            client=client,
            rows=_wip_rows(entries, cutoff, chosen),
            form=form,
            value=sum((entry.amount for entry in entries), Decimal(0)),
            currency=client.currency,
            typed=_typed_billed(request.POST),
            today=today,
            preview=preview,
        ),
        status=status,
    )


def _wip_rows(entries, cutoff: datetime.date, chosen: set[int] | None) -> list[tuple]:
    """Each entry, whether it is after the cut-off, and whether it is ticked: as posted,
    else every entry up to the cut-off."""
    return [
        (
            entry,
            entry.day > cutoff,
            chosen is None and entry.day <= cutoff or (chosen and entry.pk in chosen),
        )
        for entry in entries
    ]


def _typed_billed(posted) -> dict[int, str]:
    """The amounts typed per entry (billed-<id>), to show them again."""
    return {
        int(key[7:]): value
        for key, value in posted.items()
        if key.startswith("billed-") and key[7:].isdigit() and len(key) < 26
    }


def _preview(form, entries, chosen: set[int]) -> dict | None:
    """What the draft would bill the ticked entries, and its realization, or None with
    the refusal on the form."""
    value = sum((entry.amount for entry in entries if entry.pk in chosen), Decimal(0))
    data = form.cleaned_data
    try:
        target = invoicing.bill_target(value, amount=data["amount"], percent=data["percent"])
    except Invalid as exc:
        for key, errors in exc.errors.items():
            for error in errors:
                form.add_error(key if key in form.fields else None, error)
        return None
    return {
        "count": len(chosen),
        "value": value,
        "billed": target,
        "adjustment": target - value,
        "realization": invoicing.realization_percent(value, target),
    }


def _draft(request, form, *, client, chosen: set[int]):
    """A draft from the chosen entries, or None with the refusals on the form."""
    data = form.cleaned_data
    billed = None
    if data["allocation"] == "manual":
        billed = {entry_id: request.POST.get(f"billed-{entry_id}", "") for entry_id in chosen}
    try:
        return invoicing.draft_from_wip(
            by=request.user,
            client=client,
            entries=sorted(chosen),
            bill=data["bill"],
            amount=data["amount"] or None,
            percent=data["percent"] or None,
            billed=billed,
            reason=data["reason"],
            grouping=data["grouping"],
            cutoff=data["cutoff"],
        )
    except Invalid as exc:
        for key, errors in exc.errors.items():
            for error in errors:
                form.add_error(key if key in form.fields else None, error)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


@login_required
@require_GET
def realization_view(request: HttpRequest) -> HttpResponse:
    from facturier.invoicing.realization import realization

    today = timezone.localdate()
    form = _PeriodForm(request.GET or None)
    start, end = today.replace(month=1, day=1), today
    if form.is_bound and form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
    return render(
        request,
        "billing/realization.html",
        section(
            "billing",
            "wip",
            start=start,
            end=end,
            groups=realization(user=request.user, start=start, end=end),
        ),
    )


class _PeriodForm(forms.Form):
    start = DayField(required=False)
    end = DayField(required=False)
