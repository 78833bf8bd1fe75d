"""Bank statements in the Billing app: import a file, review the proposed matches,
confirm them into payments."""

from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from facturier.core.errors import DomainError, Invalid
from facturier.receivables import actions
from facturier.receivables.bank_files import MAX_BYTES
from facturier.receivables.models import BankStatement, StatementLine
from facturier.receivables.selectors import (
    csv_mapping,
    open_invoice_numbered,
    statement_detail,
    statement_lines,
    statement_list,
)

from .common import refusal_text, section
from .receivables import refused


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Statement file"),
        help_text=gettext_lazy(
            "camt.053, camt.052 or camt.054 (XML) as banks export them, MT940 or CSV; at most 5 MB."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xml,.csv,.txt,.sta,.mt940,text/xml,text/csv,text/plain"}
        ),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("auto", gettext_lazy("Recognise it")), *BankStatement.Format.choices],
        initial="auto",
    )
    date = forms.CharField(label=gettext_lazy("Date column"), max_length=100)
    amount = forms.CharField(label=gettext_lazy("Amount column"), max_length=100)
    label = forms.CharField(label=gettext_lazy("Label column"), max_length=100)
    reference = forms.CharField(
        label=gettext_lazy("Reference column"), max_length=100, required=False
    )
    date_format = forms.CharField(
        label=gettext_lazy("Date format"), max_length=20, help_text="%d/%m/%Y, %Y-%m-%d…"
    )
    decimal_comma = forms.BooleanField(
        label=gettext_lazy("Amounts use a decimal comma (1 234,56)"), required=False
    )

    MAPPING = ("date", "amount", "label", "reference", "date_format", "decimal_comma")


def _decisions(request, lines, problems: dict[int, str]) -> list[dict]:
    """The decisions posted for the lines still proposed; an invoice number that names
    no invoice still owed is a problem beside its line."""
    decisions = []
    for line in lines:
        if line.state != StatementLine.State.PROPOSED:
            continue
        choice = request.POST.get(f"do-{line.pk}", "later")
        if choice == "ignore":
            decisions.append({"line": line.pk, "ignore": True})
        elif choice == "undo":
            decisions.append({"line": line.pk, "undo": True})
        elif choice == "record":
            number = request.POST.get(f"invoice-{line.pk}", "").strip()
            invoice = open_invoice_numbered(user=request.user, number=number) if number else None
            if invoice is None:
                problems[line.pk] = _unowed_number(line, number)
            else:
                decisions.append({"line": line.pk, "invoice": invoice.pk})
    return decisions


def _unowed_number(line: StatementLine, number: str) -> str:
    """Why a line cannot be recorded: no number typed (asked for), or one that names
    no invoice still owed."""
    if not number:
        return _("Line %(line)d: type the number of the invoice this payment settles.") % {
            "line": line.line
        }
    return _("Line %(line)d: no invoice numbered “%(number)s” is still owed.") % {
        "line": line.line,
        "number": number[:40],
    }


def _rows(request, lines, problems: dict[int, str]) -> list[tuple]:
    """Each line with the invoice number and decision shown: what was posted, else the
    proposal, recorded by default only on an invoice still owed."""
    return [
        (
            line,
            request.POST.get(f"invoice-{line.pk}", line.invoice.number if line.invoice else ""),
            request.POST.get(f"do-{line.pk}", _proposed_choice(line)),
            problems.get(line.pk, ""),
        )
        for line in lines
    ]


def _proposed_choice(line: StatementLine) -> str:
    """Cancel the payment a return sends back; record a credit on an invoice still
    owed; otherwise let the user decide."""
    if line.returns_id:
        return "undo"
    return "record" if line.invoice_standing == StatementLine.Standing.OPEN else "later"


def _imported_text(summary: dict[str, int]) -> str:
    """What the import did: the credits to check, if any, then the file's count."""
    told = [summary_text(summary)]
    if summary["imported"]:
        imported = ngettext(
            "%(count)d credit line imported: check the proposed invoices.",
            "%(count)d credit lines imported: check the proposed invoices.",
            summary["imported"],
        )
        told.insert(0, imported % {"count": summary["imported"]})
    return " ".join(told)


def summary_text(summary: dict[str, int]) -> str:
    """The file's count, and what became of each of its transactions."""
    return (
        ngettext(
            "The file holds %(transactions)d transaction in %(entries)d entry: "
            "%(imported)d to match, %(duplicates)d imported before, %(set_aside)d set aside.",
            "The file holds %(transactions)d transactions in %(entries)d entries: "
            "%(imported)d to match, %(duplicates)d imported before, %(set_aside)d set aside.",
            summary["transactions"],
        )
        % summary
    )


def _context(**extra):
    return section("billing", "payments", **extra)


@login_required
def statement_import(request: HttpRequest) -> HttpResponse:
    if response := refused(request, reverse("billing:payments")):
        return response
    saved = csv_mapping(firm_id=request.user.firm_id)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        initial={name: getattr(saved, name) for name in ImportForm.MAPPING},
    )
    status = 200
    if request.method == "POST":
        status = 422
        upload = request.FILES.get("file")
        if upload is not None and upload.size > MAX_BYTES:
            form.add_error("file", _("The file is larger than 5 MB."))
        elif form.is_valid():
            data = form.cleaned_data
            mapping = {name: data[name] for name in ImportForm.MAPPING}
            try:
                statement = actions.import_bank_statement(
                    by=request.user,
                    data=data["file"].read(),
                    filename=data["file"].name,
                    fmt=data["format"],
                    mapping=mapping if data["format"] in ("auto", "csv") else None,
                )
            except Invalid as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("billing:payments")
            else:
                messages.success(request, _imported_text(statement.summary()))
                return redirect("billing:statement", pk=statement.pk)
    return render(
        request,
        "billing/statement_import.html",
        _context(form=form, statements=list(statement_list(user=request.user)[:20])),
        status=status,
    )


@login_required
def statement_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The proposed matches: confirm each line into a payment, choose another invoice by
    its number, set a line aside, or leave it for later."""
    if response := refused(request, reverse("billing:payments")):
        return response
    statement = statement_detail(user=request.user, pk=pk)
    if statement is None:
        raise Http404(_("No such bank statement."))
    lines = list(statement_lines(statement=statement))
    problems: dict[int, str] = {}
    if request.method == "POST":
        decisions = _decisions(request, lines, problems)
        if not problems and decisions:
            try:
                done = actions.confirm_statement_lines(
                    statement, by=request.user, decisions=decisions
                )
            except DomainError as exc:
                messages.error(request, refusal_text(exc))
            else:
                messages.success(
                    request,
                    ngettext("%(count)d line dealt with.", "%(count)d lines dealt with.", len(done))
                    % {"count": len(done)},
                )
                return redirect("billing:statement", pk=pk)
        elif not problems:
            messages.info(request, _("Nothing to record: every line was left for later."))
            return redirect("billing:statement", pk=pk)
    rows = _rows(request, lines, problems)
    return render(
        request,
        "billing/statement.html",
        _context(
            statement=statement,
            rows=rows,
            problems=list(problems.values()),
            summary=summary_text(statement.summary()),
            # The entries holding several transactions: each of their lines names it.
            batches={
                entry for entry, count in Counter(line.entry for line in lines).items() if count > 1
            },
        ),
        status=422 if problems else 200,
    )
