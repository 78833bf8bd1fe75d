"""What a person typed is taken as typed or refused with a reason beside it: never
replaced by a default, never cut without a word."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from facturier.core.errors import Invalid
from facturier.invoicing.models import Invoice
from facturier.receivables import actions as receivables
from facturier.receivables.models import Payment
from facturier.work.models import Entry, WorkCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, alice):
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    client.force_login(type(alice).objects.get(pk=alice.pk))
    return client


@pytest.fixture
def audit_code(alice):
    return WorkCode.objects.create(firm_id=alice.firm_id, code="AUD", name="Audit")


def test_an_unknown_credit_note_mode_is_refused_not_taken_for_the_whole_invoice(browser, finalized):
    url = reverse("billing:credit_note_new", args=[finalized.pk])
    response = browser.post(url, {"mode": "everything"})
    assert response.status_code == 422
    assert "Choose what to credit" in response.content.decode()
    assert not Invoice.objects.filter(corrects=finalized).exists()


def test_a_description_over_2000_characters_is_refused_beside_its_field(
    browser, client_entity, audit_code
):
    long = "x" * 2001
    data = {
        "kind": "time",
        "client": client_entity.pk,
        "work_code": "AUD",
        "day": timezone.localdate().isoformat(),
        "hours": "1",
        "description": long,
    }
    response = browser.post(reverse("billing:time"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["description"]
    assert not Entry.objects.exists()


def test_the_entries_action_refuses_a_long_description_rather_than_cutting_it(
    alice, client_entity, audit_code
):
    from facturier.work import actions as work

    alice.user_permissions.add(Permission.objects.get(codename="process_own_entries"))
    alice = type(alice).objects.get(pk=alice.pk)
    row = {
        "client": client_entity.pk,
        "work_code": "AUD",
        "day": timezone.localdate(),
        "hours": "1",
        "description": "x" * 2001,
    }
    with pytest.raises(Invalid) as refused:
        work.record_entries([row], by=alice)
    assert "At most 2000 characters" in refused.value.errors["entries.0.description"][0]
    assert not Entry.objects.exists()


def test_a_work_code_name_over_200_characters_is_refused(browser):
    upload = SimpleUploadedFile("codes.csv", ("AUD,B," + "n" * 201 + "\n").encode())
    browser.post(reverse("settings:work"), {"form": "import", "file": upload})
    assert not WorkCode.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31"])
def test_a_payment_dated_before_ten_years_back_is_refused(alice, client_entity, day):
    with pytest.raises(Invalid) as refused:
        receivables.record_payment(by=alice, client=client_entity, amount="10", received_on=day)
    assert refused.value.codes["received_on"] == ["too_old"]
    assert "to today" in str(refused.value.errors["received_on"][0])
    assert not Payment.objects.exists()


def test_a_payment_dated_on_the_first_day_allowed_is_recorded(alice, client_entity):
    first = datetime.date(timezone.localdate().year - 10, 1, 1)
    payment = receivables.record_payment(
        by=alice, client=client_entity, amount="10", received_on=first
    )
    assert payment.received_on == first


@pytest.mark.parametrize(
    "day, said", [("0001-01-01", "between 1900 and 2199"), ("1999-12-31", "to today")]
)
def test_the_payment_page_says_which_dates_it_takes(browser, finalized, day, said):
    data = {
        "ids": [str(finalized.pk)],
        "received_on": day,
        "amount": "10",
        "method": "transfer",
    }
    response = browser.post(reverse("billing:payment_new"), data)
    assert response.status_code == 422
    assert said in response.content.decode()
    assert not Payment.objects.exists()
