"""The Clients tab: the list, a client's details and contacts, archiving, the CSV import.

A client's page is its account (web/receivables.client_account), which shows these
details beside what the client owes; the pages here change them through the actions
of clients.actions, whose refusals are shown beside the field they name.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facturier.clients import actions as client_actions
from facturier.clients import imports as client_imports
from facturier.clients import permissions as client_rights
from facturier.clients.models import Client, Contact
from facturier.core import reading
from facturier.core.converters import row_id
from facturier.core.errors import DomainError, Invalid, NotAllowed
from facturier.firms.models import User
from facturier.invoicing.selectors import CappedPaginator
from facturier.portal import selectors as portal_selectors
from facturier.privacy.errors import WHAT_STAYS
from facturier.receivables.selectors import client_rows, owed_by_clients

from .client_forms import ClientFilterForm, ClientForm, ClientImportForm, ContactForm
from .common import refusal_text, section

PAGE_SIZE = 25


def _context(**extra) -> dict:
    return section("billing", "clients", **extra)


def may_administer(user) -> bool:
    return client_rights.can_administer(user, user.firm_id)


def may_change(user, client: Client) -> bool:
    return may_administer(user) or (
        client_rights.lacking_owner_and_processing(user, client.pk) is None
    )


def _client(request: HttpRequest, pk: int) -> Client:
    """A client of the user's firm they see (or, with the settings right, any of the firm)."""
    clients = Client.objects.filter(firm_id=request.user.firm_id)
    if not may_administer(request.user):
        clients = client_rights.visible_clients(request.user)
    client = clients.filter(pk=pk).first()
    if client is None:
        raise Http404(_("No such client."))
    return client


def _refused_beside_fields(form: forms.BaseForm, exc: Invalid) -> None:
    for key, errors in exc.errors.items():
        name = key.rsplit(".", 1)[-1]
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@login_required
@require_GET
def client_list_view(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET)
    filters = form.filters()
    owing = form.is_valid() and bool(form.cleaned_data.get("owing"))
    listed = client_rows(user=request.user, filters=filters, owing=owing)
    page = CappedPaginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    clients = list(page.object_list)
    owed = owed_by_clients(user=request.user, client_ids=[c.pk for c in clients])
    query = request.GET.copy()
    query.pop("page", None)
    # Named as the client's form names them ("Alice Martin"), in the order of a reader
    # (Élodie among the E).
    staff = sorted(
        User.objects.filter(firm_id=request.user.firm_id, is_active=True),
        key=lambda member: reading.plain(str(member)),
    )
    return render(
        request,
        "billing/client_list.html",
        _context(
            form=form,
            page=page,
            rows=[(client, owed.get(client.pk, {})) for client in clients],
            query=query.urlencode(),
            staff=[(member.pk, str(member)) for member in staff] if request.user.firm_id else [],
            filtered=any(v for k, v in request.GET.items() if k != "page"),
            showing_archived=filters.archived,
            can_administer=may_administer(request.user),
            import_form=ClientImportForm(),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest) -> HttpResponse:
    if not may_administer(request.user):
        raise PermissionDenied(client_actions.NEEDS_SETTINGS_RIGHT)
    form = ClientForm(
        request.POST or None,
        instance=Client(firm_id=request.user.firm_id),
        firm_id=request.user.firm_id,
        with_owners=True,
        initial={"owners": [request.user.pk]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            client = client_actions.create_client(
                by=request.user, owners=form.cleaned_data["owners"], **form.action_fields()
            )
        except Invalid as exc:
            _refused_beside_fields(form, exc)
        else:
            messages.success(request, _("Client %(name)s created.") % {"name": client.name})
            return redirect("billing:client_account", pk=client.pk)
    return render(
        request,
        "billing/client_form.html",
        _context(form=form, client=None),
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    if not may_change(request.user, client):
        raise PermissionDenied(client_rights.lacking_owner_and_processing(request.user, pk))
    with_owners = may_administer(request.user)
    form = ClientForm(
        request.POST or None, instance=client, firm_id=client.firm_id, with_owners=with_owners
    )
    if request.method == "POST" and form.is_valid():
        owners = form.cleaned_data["owners"] if with_owners else None
        try:
            client_actions.update_client(pk, by=request.user, owners=owners, **form.action_fields())
        except Invalid as exc:
            _refused_beside_fields(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Client details saved."))
            return redirect("billing:client_account", pk=pk)
    return render(
        request,
        "billing/client_form.html",
        _context(form=form, client=Client.objects.get(pk=pk)),
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def client_archive(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    archived = request.POST.get("archived") != "0"
    try:
        client_actions.archive_client(client.pk, by=request.user, archived=archived)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = _("Client %(name)s archived.") if archived else _("Client %(name)s restored.")
        messages.success(request, done % {"name": client.name})
    return redirect("billing:client_account", pk=pk)


@login_required
@require_POST
def client_delete(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    try:
        client_actions.delete_client(client.pk, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing:client_account", pk=pk)
    messages.success(request, _("Client %(name)s deleted.") % {"name": client.name})
    return redirect("billing:clients")


def _contact_page(request, client: Client, contact: Contact | None) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact or Contact(client=client))
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            if contact is None:
                client_actions.add_contact(client.pk, by=request.user, **fields)
            else:
                client_actions.update_contact(contact.pk, by=request.user, **fields)
        except Invalid as exc:
            _refused_beside_fields(form, exc)
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from None
        else:
            messages.success(request, _("Contact saved."))
            return redirect("billing:client_account", pk=client.pk)
    return render(
        request,
        "billing/contact_form.html",
        _context(form=form, client=client, contact=contact),
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    if not may_change(request.user, client):
        raise PermissionDenied(client_rights.lacking_owner_and_processing(request.user, pk))
    return _contact_page(request, client, None)


def _contact(request: HttpRequest, pk: int) -> Contact:
    contact = Contact.objects.filter(pk=pk).first()
    if contact is None:
        raise Http404(_("No such contact."))
    client = _client(request, contact.client_id)
    if not may_change(request.user, client):
        raise PermissionDenied(client_rights.lacking_owner_and_processing(request.user, pk))
    contact.client = client
    return contact


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    return _contact_page(request, contact.client, contact)


@login_required
@require_POST
def contact_remove(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    try:
        client_actions.remove_contact(contact.pk, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Contact %(name)s removed.") % {"name": contact.name})
    return redirect("billing:client_account", pk=contact.client_id)


@login_required
@require_POST
def clients_import(request: HttpRequest) -> HttpResponse:
    """A CSV of clients: "Check" lists the refused rows; "Import" writes all or none."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("billing:clients")
    data = upload.read(client_imports.MAX_BYTES + 1)
    dry = bool(request.POST.get("dry_run"))
    try:
        if dry:
            report = client_imports.dry_run(request.user, data)
        else:
            report = client_imports.import_clients(by=request.user, data=data)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
        return redirect("billing:clients")
    return render(
        request,
        "billing/client_import.html",
        _context(report=report, dry=dry),
        status=200 if report.ok else 422,
    )


def client_details(user, client: Client) -> dict:
    """What the client's page shows of its details, and what the user may do there."""
    administer = may_administer(user)
    return {
        "contacts": list(client.contacts.all()),
        "portal_accesses": portal_selectors.access_by_contact(client=client),
        "owners": list(client.owners.order_by("username")),
        "can_change": may_change(user, client),
        "can_administer": administer,
        "what_stays": WHAT_STAYS,
        "has_documents": administer and client_actions.has_documents(client),
        "merge_choices": [
            (pk, name) for pk, name in client_rights.client_choices(user) if pk != client.pk
        ]
        if administer
        else [],
    }


@login_required
@require_POST
def client_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Fold another client (created twice) into this one."""
    kept = _client(request, pk)
    merged = row_id(request.POST.get("merged", ""))
    if merged is None:
        messages.error(request, _("Choose the client to merge into this one."))
        return redirect("billing:client_account", pk=pk)
    try:
        client_actions.merge_clients(kept.pk, by=request.user, merged=merged)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Clients merged into %(name)s.") % {"name": kept.name})
    return redirect("billing:client_account", pk=pk)
