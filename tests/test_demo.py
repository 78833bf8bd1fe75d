import base64
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import models
from django.test import Client as Browser
from django_otp.oath import totp

from facturier.firms.models import User
from facturier.invoicing.models import Invoice, InvoiceSequence
from facturier.invoicing.selectors import invoice_list

pytestmark = pytest.mark.django_db


def test_demo_data_covers_each_right_and_status(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "alice" in out and "facturier-demo" in out
    # Carol signs in with her password and a code from the key printed.
    secret = re.search(r"carol also types a code: add the key ([A-Z2-7]+) ", out).group(1)
    browser = Browser()
    browser.post("/login/", {"username": "carol", "password": "facturier-demo"})
    code = f"{totp(base64.b32decode(secret), drift=1):06d}"
    assert browser.post("/login/code/", {"code": code}).status_code == 302
    assert browser.get("/billing/invoices/").status_code == 200
    documents = Invoice.objects.filter(firm__name="Cabinet Martin & Associés")
    demo = documents.filter(kind="invoice")
    assert demo.count() == 60
    assert Counter(demo.values_list("status", flat=True)) == {
        "draft": 20,
        "finalized": 25,
        "closed": 15,
    }
    # Paid in full and closed by the system, partly paid, and one credit note.
    assert demo.filter(status="closed", closed_by=None).count() == 12
    assert demo.filter(balance__gt=0, balance__lt=models.F("total_gross")).count() >= 5
    (credit_note,) = documents.filter(kind="credit_note")
    assert credit_note.number == "AV-0000001" and credit_note.corrects.status == "finalized"
    numbers = sorted(int(n) for n in demo.exclude(number=None).values_list("number", flat=True))
    assert numbers == list(range(1054, 1094))  # gapless from the firm's next number
    assert set(demo.values_list("client__language", flat=True)) == {"fr", "en"}
    users = {u.username: u for u in User.objects.all()}
    assert users["alice"].has_perm("invoicing.process_invoices")
    assert not users["bob"].has_perm("invoicing.process_invoices")
    assert users["bob"].owned_clients.exists() and not users["carol"].owned_clients.exists()
    assert invoice_list(user=users["bob"]).count() < invoice_list(user=users["carol"]).count()
    assert not invoice_list(user=users["dave"]).exists()
    assert not invoice_list(user=users["erin"]).filter(firm=users["alice"].firm).exists()
    assert (
        InvoiceSequence.objects.get(firm=users["alice"].firm, series="invoice").next_number == 1094
    )


def test_demo_loads_once(capsys):
    call_command("load_demo")
    call_command("load_demo")
    assert "nothing loaded" in capsys.readouterr().out
    assert Invoice.objects.filter(firm__name="Cabinet Martin & Associés").count() == 61
