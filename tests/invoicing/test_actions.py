import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from facturier.core.errors import Frozen, Invalid, InvalidTransition, NotAllowed, NotFound
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions
from facturier.invoicing.models import Invoice, InvoiceLine, InvoiceSequence
from facturier.invoicing.selectors import invoice_events

pytestmark = pytest.mark.django_db


def events(invoice):
    return list(
        invoice_events(invoice=invoice).values_list(
            "action", "from_status", "to_status", "actor__username"
        )
    )


# --- drafts -----------------------------------------------------------------------------


def test_create_draft_computes_totals_and_records_who(alice, client_entity):
    invoice = actions.create_draft(
        by=alice,
        client=client_entity,
        lines=[
            {"description": "Conseil", "quantity": "2.5", "unit_price": "135", "vat_rate": "20"},
            {
                "description": "Frais",
                "quantity": "1",
                "unit_price": "49.99",
                "vat_rate": "5.5",
                "discount_percent": "10",
            },
        ],
    )
    invoice.refresh_from_db()
    assert invoice.status == "draft" and invoice.number is None
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        D("382.49"),
        D("69.97"),
        D("452.46"),
    )
    assert invoice.currency == "EUR"
    assert invoice.payment_terms_days == 30  # the firm's default
    assert invoice.due_date == invoice.issue_date + datetime.timedelta(days=30)
    assert events(invoice) == [("invoice.created", "", "draft", "alice")]


def test_client_payment_terms_win_over_the_firm_default(alice, client_entity):
    client_entity.payment_terms_days = 45
    client_entity.save()
    invoice = actions.create_draft(by=alice, client=client_entity, lines=[])
    assert invoice.payment_terms_days == 45


def test_draft_takes_the_client_currency(alice, firm, make_client):
    client = make_client(firm, "London Ltd", currency="GBP")
    client.owners.add(alice)
    assert actions.create_draft(by=alice, client=client).currency == "GBP"


@pytest.mark.parametrize(
    "who, lacks",
    [
        ("owner_only", "You lack the processing permission."),
        ("processor_only", "You are not an owner of this client."),
    ],
)
def test_create_draft_needs_owner_and_processing(staff, client_entity, who, lacks):
    with pytest.raises(NotAllowed) as refused:
        actions.create_draft(by=staff[who], client=client_entity, lines=[])
    assert refused.value.code == "not_allowed"
    assert refused.value.message == lacks  # what the user lacks, not a generic sentence
    assert not Invoice.objects.exists()


def test_a_refusal_never_names_a_client_the_user_cannot_see(staff, client_entity):
    with pytest.raises(Invalid) as refused:
        actions.create_draft(by=staff["neither"], client=client_entity, lines=[])
    assert refused.value.codes == {"client": ["does_not_exist"]}
    assert client_entity.name not in str(refused.value.errors)
    assert not Invoice.objects.exists()


def test_create_draft_for_another_firms_client_is_refused(alice, make_firm, make_client):
    foreign = make_client(make_firm("Autre"), "Foreign")
    with pytest.raises(Invalid) as refused:
        actions.create_draft(by=alice, client=foreign.pk, lines=[])
    assert "client" in refused.value.errors


def test_bad_line_is_refused_with_field_errors_and_nothing_saved(alice, client_entity):
    with pytest.raises(Invalid) as refused:
        actions.create_draft(
            by=alice,
            client=client_entity,
            lines=[
                {"description": "ok", "unit_price": "10"},
                {"description": "", "unit_price": "abc", "vat_rate": "120"},
            ],
        )
    assert set(refused.value.errors) >= {
        "lines.1.unit_price",
        "lines.1.vat_rate",
        "lines.1.description",
    }
    assert refused.value.code == "validation"
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_update_draft_replaces_lines_and_totals(draft, alice):
    actions.update_draft(
        draft,
        by=alice,
        notes="Merci",
        lines=[
            {
                "description": "A",
                "quantity": "3",
                "unit_price": "19.99",
                "vat_rate": "20",
                "discount_percent": "15",
            }
        ],
    )
    draft.refresh_from_db()
    assert draft.notes == "Merci"
    assert [line.description for line in draft.lines.all()] == ["A"]
    assert draft.total_net == D("50.97") and draft.total_gross == D("61.16")
    assert events(draft)[-1] == ("invoice.edited", "draft", "draft", "alice")


@pytest.mark.parametrize("who", ["owner_only", "processor_only", "neither"])
def test_update_and_delete_draft_refused_without_both_rights(staff, draft, who):
    user = staff[who]
    expected = NotFound if who == "neither" else NotAllowed  # neither may not even see it
    with pytest.raises(expected):
        actions.update_draft(draft, by=user, notes="x")
    with pytest.raises(expected):
        actions.delete_draft(draft, by=user)
    draft.refresh_from_db()
    assert draft.notes == ""


def test_delete_draft_leaves_a_trace_and_takes_no_number(draft, alice):
    sequence = InvoiceSequence.objects.get(firm=draft.firm)
    pk = draft.pk
    actions.delete_draft(draft, by=alice)
    assert not Invoice.objects.filter(pk=pk).exists()
    trace = invoice_events(invoice=pk).get(action="invoice.deleted")
    assert (trace.target, trace.actor, trace.from_status) == (f"#{pk}", alice, "draft")
    sequence.refresh_from_db()
    assert sequence.next_number == 1


def test_unknown_field_is_refused(draft, alice):
    with pytest.raises(Invalid) as refused:
        actions.update_draft(draft, by=alice, status="closed")
    assert "status" in refused.value.errors


# --- finalize ---------------------------------------------------------------------------


def test_finalize_numbers_freezes_and_records(draft, alice, template):
    at = timezone.now()
    invoice = actions.finalize_invoice(draft, by=alice, now=at)
    invoice.refresh_from_db()
    assert invoice.status == "finalized"
    assert invoice.number == "0000001"
    assert invoice.issue_date == timezone.localdate(at)
    assert invoice.finalized_by == alice and invoice.finalized_at == at
    assert invoice.template == template  # the firm's default
    assert invoice.snapshot["number"] == "0000001"
    assert invoice.snapshot["buyer"]["name"] == "Client SA"
    assert invoice.snapshot["totals"]["gross"] == "120.00"
    assert events(invoice)[-1] == ("invoice.finalized", "draft", "finalized", "alice")


def test_finalize_with_a_chosen_template(draft, alice, template, firm):
    from facturier.invoicing.models import InvoiceTemplate

    other = InvoiceTemplate.objects.create(firm=firm, name="Sobre", accent_color="#333333")
    invoice = actions.finalize_invoice(draft, by=alice, template=other.pk)
    assert invoice.template == other
    assert invoice.snapshot["template"]["accent_color"] == "#333333"


def test_archived_or_foreign_template_is_refused(draft, alice, make_firm):
    from facturier.invoicing.models import InvoiceTemplate

    foreign = InvoiceTemplate.objects.create(firm=make_firm("Autre"), name="X")
    with pytest.raises(Invalid):
        actions.finalize_invoice(draft, by=alice, template=foreign)
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize("who", ["owner_only", "processor_only"])
def test_finalize_needs_owner_and_processing(staff, draft, who):
    with pytest.raises(NotAllowed):
        actions.finalize_invoice(draft, by=staff[who])
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number is None


def test_finalize_an_empty_draft_says_what_is_missing(make_draft, alice):
    from facturier.invoicing.models import Invoice

    invoice = actions.create_draft(by=alice, client=make_draft().client, lines=[])
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(invoice, by=alice)
    assert "lines" in refused.value.errors
    assert Invoice.objects.get(pk=invoice.pk).number is None
    assert InvoiceSequence.objects.get(firm=invoice.firm).next_number == 1


def test_finalize_without_client_address_is_refused(alice, firm, make_client):
    client = make_client(firm, "Sans Adresse", address_line1="", city="")
    client.owners.add(alice)
    invoice = actions.create_draft(
        by=alice, client=client, lines=[{"description": "x", "unit_price": "1"}]
    )
    with pytest.raises(Invalid) as refused:
        actions.finalize_invoice(invoice, by=alice)
    assert "client" in refused.value.errors


def test_finalize_twice_is_an_invalid_transition(finalized, alice):
    with pytest.raises(InvalidTransition) as refused:
        actions.finalize_invoice(finalized, by=alice)
    assert refused.value.code == "invalid_transition"


# --- close and reopen -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_processor", "processor_only"])
def test_close_and_reopen_need_only_processing(staff, finalized, who):
    user = staff[who]
    actions.close_invoice(finalized, by=user)
    finalized.refresh_from_db()
    assert finalized.status == "closed" and finalized.closed_by == user
    actions.reopen_invoice(finalized, by=user)
    finalized.refresh_from_db()
    assert finalized.status == "finalized" and finalized.closed_at is None
    assert [e[0] for e in events(finalized)][-2:] == ["invoice.closed", "invoice.reopened"]
    assert finalized.number == "0000001"  # reopening keeps the number


def test_close_refused_without_processing(staff, finalized):
    with pytest.raises(NotAllowed):
        actions.close_invoice(finalized, by=staff["owner_only"])
    with pytest.raises(NotFound):
        actions.close_invoice(finalized, by=staff["neither"])


def test_reopen_refused_without_processing(staff, closed):
    # Closed invoices are seen with the processing permission only: to an owner
    # without it, a closed invoice is not there at all.
    with pytest.raises(NotFound):
        actions.reopen_invoice(closed, by=staff["owner_only"])


def test_close_refused_without_processing_says_so(staff, make_draft, alice):
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    with pytest.raises(NotAllowed) as refused:
        actions.close_invoice(invoice, by=staff["owner_only"])
    assert refused.value.message == "You lack the processing permission."


@pytest.mark.parametrize(
    "action, fixture",
    [
        (actions.close_invoice, "draft"),
        (actions.close_invoice, "closed"),
        (actions.reopen_invoice, "draft"),
        (actions.reopen_invoice, "finalized"),
        (actions.finalize_invoice, "closed"),
        (actions.update_draft, "finalized"),
        (actions.update_draft, "closed"),
        (actions.delete_draft, "finalized"),
        (actions.delete_draft, "closed"),
    ],
)
def test_illegal_transitions_are_refused(request, alice, action, fixture):
    invoice = request.getfixturevalue(fixture)
    before = invoice.status
    with pytest.raises(InvalidTransition):
        action(invoice, by=alice)
    invoice.refresh_from_db()
    assert invoice.status == before


def test_bulk_close_is_all_or_nothing(make_draft, alice, template):
    first = actions.finalize_invoice(make_draft(), by=alice)
    second = make_draft()  # still a draft
    with pytest.raises(InvalidTransition):
        actions.close_invoices([first, second], by=alice)
    first.refresh_from_db()
    assert first.status == "finalized"
    assert (
        not AuditEvent.objects.filter(target_type="invoicing.invoice")
        .filter(action="invoice.closed")
        .exists()
    )


# --- frozen content, whatever the path --------------------------------------------------


@pytest.mark.parametrize("fixture", ["finalized", "closed"])
@pytest.mark.parametrize(
    "field, value",
    [
        ("notes", "changed"),
        ("currency", "USD"),
        ("number", "9999999"),
        ("issue_date", datetime.date(2020, 1, 1)),
        ("total_gross", D("1.00")),
        ("payment_terms_days", 1),
    ],
)
def test_frozen_fields_cannot_change_through_the_model(request, fixture, field, value):
    invoice = Invoice.objects.get(pk=request.getfixturevalue(fixture).pk)
    setattr(invoice, field, value)
    with pytest.raises(Frozen):
        invoice.save()
    assert getattr(Invoice.objects.get(pk=invoice.pk), field) != value


def test_lines_of_a_finalized_invoice_cannot_change(finalized):
    line = finalized.lines.get()
    line.unit_price = D("1")
    with pytest.raises(Frozen):
        line.save()
    with pytest.raises(Frozen):
        line.delete()
    with pytest.raises(Frozen):
        InvoiceLine(invoice=finalized, description="x", unit_price=1, vat_rate=0).save()
    with pytest.raises(Frozen):
        Invoice.objects.get(pk=finalized.pk).delete()
    assert finalized.lines.get().unit_price == D("100.00")


def test_later_client_edit_does_not_change_the_finalized_invoice(finalized, client_entity):
    client_entity.name = "Renamed SA"
    client_entity.address_line1 = "99 avenue Foch"
    client_entity.save()
    snapshot = Invoice.objects.get(pk=finalized.pk).snapshot
    assert snapshot["buyer"]["name"] == "Client SA"
    assert snapshot["buyer"]["address_line1"] == "2 rue du Bac"


def test_later_template_edit_does_not_change_the_finalized_invoice(finalized, template):
    template.accent_color = "#ff0000"
    template.footer_text = "new"
    template.save()
    snapshot = Invoice.objects.get(pk=finalized.pk).snapshot
    assert snapshot["template"]["accent_color"] == "#1f4e79"
    assert snapshot["template"]["footer_text"] == ""


def test_errors_speak_french(finalized, alice):
    from django.utils import translation

    with pytest.raises(InvalidTransition) as refused:
        actions.update_draft(finalized, by=alice, notes="x")
    with translation.override("fr"):
        assert refused.value.message == (
            "La facture 0000001 est finalisée : elle ne peut pas être modifiée."
        )
    with translation.override("en"):
        assert refused.value.message == "Invoice 0000001 is finalized: it cannot be edited."


def test_refusals_survive_pickling(finalized, alice):
    import pickle

    with pytest.raises(InvalidTransition) as refused:
        actions.update_draft(finalized, by=alice, notes="x")
    again = pickle.loads(pickle.dumps(refused.value))
    assert (again.code, again.message) == ("invalid_transition", refused.value.message)
    invalid = pickle.loads(pickle.dumps(Invalid({"lines": ["Add a line."]})))
    assert invalid.errors == {"lines": ["Add a line."]}


def test_saving_a_draft_unchanged_records_nothing(draft, alice):
    lines = [
        {
            "description": line.description,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "vat_rate": str(line.vat_rate),
            "discount_percent": str(line.discount_percent),
        }
        for line in draft.lines.all()
    ]
    actions.update_draft(draft, by=alice, lines=lines, notes=draft.notes)
    assert list(invoice_events(invoice=draft).values_list("action", flat=True)) == [
        "invoice.created"
    ]
    actions.update_draft(draft, by=alice, lines=lines, notes="Changed")
    update = invoice_events(invoice=draft).get(action="invoice.edited")
    assert update.details == {"fields": ["notes"]}


def test_a_new_drafts_only_unique_field_is_its_key():
    """A new draft and its lines are checked without validate_unique (a query's worth
    per draft in a billing run): that holds only while their one unique field is the
    key the database gives. A unique field added later must be checked again there."""
    from facturier.invoicing.actions.invoices import DRAFT_UNCHECKED, LINE_UNCHECKED

    for model, unchecked in ((Invoice, DRAFT_UNCHECKED), (InvoiceLine, LINE_UNCHECKED)):
        unique, dates = model()._get_unique_checks(exclude=unchecked, include_meta_constraints=True)
        assert (unique, dates) == ([(model, ("id",))], []), model
