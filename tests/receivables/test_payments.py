"""Payments: allocation, balance, the automatic close and its undoing, every refusal."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from facturier.core.errors import Invalid, NotAllowed, NotFound
from facturier.firms.models import AuditEvent
from facturier.invoicing import actions as invoicing
from facturier.invoicing.lifecycle import PaymentState, payment_state
from facturier.invoicing.models import Invoice
from facturier.invoicing.selectors import invoice_events
from facturier.receivables import actions
from facturier.receivables.models import Allocation, Payment
from facturier.receivables.selectors import client_credit

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


@pytest.fixture
def issue(make_draft, alice, template):
    """A finalized invoice of `gross` (VAT included) for the default client."""

    def make(gross="120.00", **fields):
        net = (Decimal(gross) / Decimal("1.2")).quantize(Decimal("0.01"))
        draft = make_draft(lines=[{**LINE, "unit_price": str(net)}], **fields)
        return invoicing.finalize_invoice(draft, by=alice)

    return make


def pay(by, client, amount, allocations=None, **fields):
    return actions.record_payment(
        by=by,
        client=client,
        amount=Decimal(amount),
        received_on=fields.pop("received_on", TODAY),
        allocations=allocations,
        **fields,
    )


def fresh(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_a_partial_payment_lowers_the_balance_and_says_so(issue, alice, client_entity):
    invoice = issue("120.00")
    assert payment_state(invoice, TODAY) == PaymentState.UNPAID
    pay(alice, client_entity, "50.00", [{"invoice": invoice.pk}])
    invoice = fresh(invoice)
    assert invoice.balance == Decimal("70.00")
    assert invoice.status == "finalized"
    assert payment_state(invoice, TODAY) == PaymentState.PARTLY_PAID
    event = invoice_events(invoice=invoice).filter(action="invoice.paid").get()
    assert event.actor == alice
    assert event.details["amount"] == "50.00" and event.details["balance"] == "70.00"


def test_paid_in_full_closes_it_and_removing_the_payment_brings_it_back(
    issue, alice, client_entity
):
    invoice = issue("120.00")
    pay(alice, client_entity, "20.00", [{"invoice": invoice.pk}])
    second = pay(alice, client_entity, "100.00", [{"invoice": invoice.pk}])
    invoice = fresh(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), "closed")
    closing = invoice_events(invoice=invoice).filter(action="invoice.closed").get()
    assert closing.actor is None and closing.details == {"why": "paid_in_full"}

    actions.delete_payment(second, by=alice)
    invoice = fresh(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("100.00"), "finalized")
    assert invoice.closed_at is None
    reopening = invoice_events(invoice=invoice).filter(action="invoice.reopened").get()
    assert reopening.actor is None and reopening.details == {"why": "balance_reopened"}
    assert invoice_events(invoice=invoice).filter(action="invoice.payment_removed").count() == 1
    assert not Payment.objects.filter(pk=second.pk).exists()
    assert AuditEvent.objects.filter(action="payment.deleted").count() == 1


def test_the_firm_may_keep_paid_invoices_open(issue, alice, client_entity, firm):
    firm.close_when_paid = False
    firm.save()
    invoice = issue("120.00")
    pay(alice, client_entity, "120.00")
    invoice = fresh(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), "finalized")
    assert payment_state(invoice, TODAY) == PaymentState.PAID


def test_by_default_the_oldest_due_date_is_paid_first_and_the_rest_is_credit(
    issue, alice, client_entity
):
    later = issue("120.00", payment_terms_days=60)
    sooner = issue("60.00", payment_terms_days=10)
    payment = pay(alice, client_entity, "200.00")
    assert fresh(sooner).balance == 0
    assert fresh(later).balance == 0
    assert fresh(sooner).status == fresh(later).status == "closed"
    assert Payment.objects.get(pk=payment.pk).unallocated == Decimal("20.00")
    assert client_credit(user=alice, client_id=client_entity.pk) == {"EUR": Decimal("20.00")}
    order = list(
        Allocation.objects.filter(payment=payment)
        .order_by("id")
        .values_list("invoice_id", "amount")
    )
    assert order == [(sooner.pk, Decimal("60.00")), (later.pk, Decimal("120.00"))]


def test_a_short_payment_covers_the_oldest_first(issue, alice, client_entity):
    later = issue("120.00", payment_terms_days=60)
    sooner = issue("60.00", payment_terms_days=10)
    pay(alice, client_entity, "80.00", [{"invoice": later.pk}, {"invoice": sooner.pk}])
    assert fresh(sooner).balance == 0
    assert fresh(later).balance == Decimal("100.00")


def test_credit_pays_a_later_invoice_and_can_be_refunded(issue, alice, client_entity):
    payment = pay(alice, client_entity, "150.00")  # nothing to pay yet: all credit
    assert client_credit(user=alice, client_id=client_entity.pk) == {"EUR": Decimal("150.00")}
    invoice = issue("120.00")
    actions.allocate_payment(payment, by=alice)
    assert fresh(invoice).balance == 0
    actions.refund_credit(payment, by=alice, amount=Decimal("30.00"))
    assert Payment.objects.get(pk=payment.pk).unallocated == 0
    assert client_credit(user=alice, client_id=client_entity.pk) == {}
    with pytest.raises(Invalid) as refused:
        actions.refund_credit(payment, by=alice, amount=Decimal("0.01"))
    assert refused.value.codes["amount"] == ["exceeds_payment"]


def test_removing_one_allocation_gives_the_money_back_to_the_payment(issue, alice, client_entity):
    invoice = issue("120.00")
    payment = pay(alice, client_entity, "120.00")
    allocation = Allocation.objects.get(payment=payment)
    actions.remove_allocation(allocation.pk, by=alice)
    assert fresh(invoice).balance == Decimal("120.00")
    assert fresh(invoice).status == "finalized"
    assert Payment.objects.get(pk=payment.pk).unallocated == Decimal("120.00")


def test_correcting_a_payment_never_goes_below_what_it_allocated(issue, alice, client_entity):
    issue("120.00")
    payment = pay(alice, client_entity, "200.00")
    updated = actions.update_payment(payment, by=alice, amount="150.00", reference="VIR 42")
    assert (updated.amount, updated.unallocated, updated.reference) == (
        Decimal("150.00"),
        Decimal("30.00"),
        "VIR 42",
    )
    with pytest.raises(Invalid) as refused:
        actions.update_payment(payment, by=alice, amount="100.00")
    assert refused.value.codes["amount"] == ["below_allocated"]


# --- Refusals: nothing is written when one is refused ---------------------------------


def refused_without_trace(call, code_field=None, code=None, error=Invalid):
    before = (
        Payment.objects.count(),
        Allocation.objects.count(),
        AuditEvent.objects.filter(target_type="invoicing.invoice").count(),
    )
    balances = dict(Invoice.objects.values_list("pk", "balance"))
    with pytest.raises(error) as refused:
        call()
    if code_field:
        assert code in refused.value.codes[code_field], refused.value.codes
    assert (
        Payment.objects.count(),
        Allocation.objects.count(),
        AuditEvent.objects.filter(target_type="invoicing.invoice").count(),
    ) == before
    assert dict(Invoice.objects.values_list("pk", "balance")) == balances
    return refused.value


def test_more_than_the_balance_is_refused(issue, alice, client_entity):
    invoice = issue("120.00")
    error = refused_without_trace(
        lambda: pay(alice, client_entity, "200.00", [{"invoice": invoice.pk, "amount": "120.01"}]),
        "allocations.0.amount",
        "exceeds_balance",
    )
    assert "120.00" in error.errors["allocations.0.amount"][0]


def test_allocations_beyond_the_payment_are_refused(issue, alice, client_entity):
    a, b = issue("120.00"), issue("120.00")
    refused_without_trace(
        lambda: pay(
            alice,
            client_entity,
            "100.00",
            [{"invoice": a.pk, "amount": "60.00"}, {"invoice": b.pk, "amount": "60.00"}],
        ),
        "allocations",
        "exceeds_payment",
    )


def test_a_payment_in_another_currency_is_refused(issue, alice, client_entity):
    invoice = issue("120.00")
    refused_without_trace(
        lambda: pay(alice, client_entity, "120.00", [{"invoice": invoice.pk}], currency="USD"),
        "allocations.0.invoice",
        "currency_mismatch",
    )


def test_a_draft_cannot_be_paid(make_draft, alice, client_entity):
    draft = make_draft()
    refused_without_trace(
        lambda: pay(alice, client_entity, "120.00", [{"invoice": draft.pk}]),
        "allocations.0.invoice",
        "draft",
    )


def test_another_clients_invoice_cannot_be_paid(issue, alice, client_entity, make_client, firm):
    invoice = issue("120.00")
    other = make_client(firm, name="Autre SARL")
    other.owners.add(alice)
    refused_without_trace(
        lambda: pay(alice, other, "120.00", [{"invoice": invoice.pk}]),
        "allocations.0.invoice",
        "other_client",
    )


@pytest.mark.parametrize(
    "amount,code",
    [
        ("0", "not_positive"),
        ("-5", "not_positive"),
        ("1.001", "decimal_places"),
        ("NaN", "invalid"),
        ("abc", "invalid"),
        ("1e20", "max_value"),
    ],
)
def test_bad_amounts_are_refused(alice, client_entity, amount, code):
    refused_without_trace(
        lambda: actions.record_payment(
            by=alice, client=client_entity, amount=amount, received_on=TODAY
        ),
        "amount",
        code,
    )


def test_a_future_date_and_an_unknown_method_are_refused(alice, client_entity):
    error = refused_without_trace(
        lambda: actions.record_payment(
            by=alice,
            client=client_entity,
            amount="10",
            received_on=TODAY + datetime.timedelta(days=1),
            method="barter",
        )
    )
    assert error.codes["received_on"] == ["future"]
    assert "method" in error.codes


def test_recording_needs_the_processing_permission(issue, staff, client_entity):
    invoice = issue("120.00")
    for name in ("owner_only", "neither"):
        refused_without_trace(
            lambda user=staff[name]: pay(user, client_entity, "120.00", [{"invoice": invoice.pk}]),
            error=NotAllowed,
        )
    payment = pay(staff["processor_only"], client_entity, "10.00", [{"invoice": invoice.pk}])
    with pytest.raises(NotAllowed):
        actions.delete_payment(payment, by=staff["owner_only"])
    with pytest.raises(NotAllowed):
        actions.remove_allocation(payment.allocations.get(), by=staff["owner_only"])


def test_another_firms_client_and_payment_are_not_found(
    issue, alice, make_firm, make_client, make_user
):
    invoice = issue("120.00")
    payment = pay(alice, invoice.client, "10.00")
    other_firm = make_firm("Autre cabinet")
    outsider = make_user("eve", other_firm, processing=True)
    refused_without_trace(lambda: pay(outsider, invoice.client, "10.00"), error=NotFound)
    with pytest.raises(NotFound):
        actions.delete_payment(payment, by=outsider)
    their_client = make_client(other_firm, name="Leur client")
    refused_without_trace(
        lambda: pay(outsider, their_client, "10.00", [{"invoice": invoice.pk}]), error=NotFound
    )


def test_an_invoice_with_nothing_left_to_pay_is_refused_by_name(issue, alice, client_entity):
    invoice = issue("120.00")
    pay(alice, client_entity, "120.00", [{"invoice": invoice.pk}])
    error = refused_without_trace(
        lambda: pay(alice, client_entity, "50.00", [{"invoice": invoice.pk}]),
        "allocations.0.invoice",
        "nothing_owed",
    )
    assert invoice.number in error.errors["allocations.0.invoice"][0]


def test_refusals_about_money_say_its_amount_as_the_reader_writes_it(issue, alice, client_entity):
    issue("120.00")
    payment = pay(alice, client_entity, "1200.00")
    with translation.override("fr"), pytest.raises(Invalid) as refused:
        actions.update_payment(payment, by=alice, amount="100.00")
    assert refused.value.errors["amount"][0].startswith("120,00\xa0€ de ce paiement")
    with translation.override("fr"), pytest.raises(Invalid) as refused:
        actions.refund_credit(payment, by=alice, amount=Decimal("1080.01"))
    assert refused.value.errors["amount"] == ["Il reste 1\u202f080,00\xa0€ à rembourser."]
    with translation.override("en"), pytest.raises(Invalid) as refused:
        actions.refund_credit(payment, by=alice, amount=Decimal("1080.01"))
    assert refused.value.errors["amount"] == ["€1,080.00 is left to refund."]
