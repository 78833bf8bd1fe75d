"""Time and expenses: rates in force, entries and their refusals, WIP per client, a
draft from WIP with its write-down, and what finalizing, deleting and crediting do."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from facturier.core.errors import Frozen, Invalid, NotAllowed
from facturier.invoicing import actions as invoicing
from facturier.invoicing.actions.wip import pro_rata
from facturier.invoicing.models import InvoiceEntry
from facturier.work import actions
from facturier.work.models import Entry, WorkCode
from facturier.work.selectors import wip_by_client

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def grant(user, *codenames):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def manager(alice):
    return grant(alice, "manage_templates", "process_all_entries")


@pytest.fixture
def codes(firm):
    return {
        "AUD": WorkCode.objects.create(firm=firm, code="AUD", name="Audit", default_rate=100),
        "TAX": WorkCode.objects.create(
            firm=firm, code="TAX", name="Tax", surcharge_percent=Decimal("10")
        ),
        "ADM": WorkCode.objects.create(firm=firm, code="ADM", name="Admin", billable=False),
        "TRV": WorkCode.objects.create(firm=firm, code="TRV", name="Travel", kind="expense"),
    }


def time(by, client, code, day, hours, **extra):
    (entry,) = actions.record_entries(
        [{"client": client.pk, "work_code": code, "day": day, "hours": hours, **extra}], by=by
    )
    return entry


def test_an_entry_takes_the_rate_in_force_on_its_day(manager, codes, client_entity):
    actions.set_rate(by=manager, staff=manager, rate="80", effective_from=ago(100))
    actions.set_rate(by=manager, staff=manager, rate="90", effective_from=ago(10))
    actions.set_rate(
        by=manager, staff=manager, rate="150", effective_from=ago(50), work_code=codes["TAX"]
    )
    old = time(manager, client_entity, "AUD", ago(20), "2")
    new = time(manager, client_entity, "AUD", ago(5), "1:30")
    tax = time(manager, client_entity, "TAX", ago(5), "1")
    assert (old.rate, old.amount) == (Decimal("80"), Decimal("160.00"))
    assert (new.hours, new.rate, new.amount) == (Decimal("1.50"), Decimal("90"), Decimal("135.00"))
    assert tax.amount == Decimal("165.00")  # its own rate, and the 10 % surcharge


def test_an_entry_without_a_rate_is_worth_zero_and_flagged(manager, codes, client_entity):
    entry = time(manager, client_entity, "TAX", ago(3), "2")
    assert entry.rate is None and entry.amount == 0
    (row,) = wip_by_client(user=manager, today=TODAY)
    assert row.unrated == 1


def test_a_historical_rate_cannot_change(manager, codes):
    actions.set_rate(by=manager, staff=manager, rate="80", effective_from=ago(100))
    actions.set_rate(by=manager, staff=manager, rate="90", effective_from=ago(10))
    with pytest.raises(Invalid) as refused:
        actions.set_rate(by=manager, staff=manager, rate="85", effective_from=ago(100))
    assert refused.value.codes == {"effective_from": ["historical"]}
    actions.set_rate(by=manager, staff=manager, rate="95", effective_from=ago(10))  # active: may


def test_a_batch_is_all_or_nothing_and_names_each_refused_row(manager, codes, client_entity):
    rows = [
        {"client": client_entity.pk, "work_code": "AUD", "day": ago(1), "hours": "2"},
        {"client": 999999, "work_code": "AUD", "day": ago(1), "hours": "2"},
        {"client": client_entity.pk, "work_code": "NOPE", "day": ago(1), "hours": "2"},
        {"client": client_entity.pk, "work_code": "AUD", "day": "31/12", "hours": "2"},
        {"client": client_entity.pk, "work_code": "AUD", "day": ago(1), "hours": "25"},
        {"client": client_entity.pk, "work_code": "TRV", "day": ago(1), "amount": "-3"},
    ]
    with pytest.raises(Invalid) as refused:
        actions.record_entries(rows, by=manager)
    assert set(refused.value.codes) == {
        "entries.1.client",
        "entries.2.work_code",
        "entries.3.day",
        "entries.4.hours",
        "entries.5.amount",
    }
    assert not Entry.objects.exists()
    with pytest.raises(Invalid) as refused:
        actions.record_entries(rows[:1] * 3, by=manager, limit=2)
    assert refused.value.codes == {"entries": ["too_many"]}


def test_rights_own_entries_and_others(staff, codes, client_entity):
    bob = grant(staff["owner_only"], "process_own_entries")
    time(bob, client_entity, "AUD", ago(1), "1")
    with pytest.raises(Invalid) as refused:
        actions.record_entries(
            [
                {
                    "staff": staff["neither"].pk,
                    "client": client_entity.pk,
                    "work_code": "AUD",
                    "day": ago(1),
                    "hours": "1",
                }
            ],
            by=bob,
        )
    assert refused.value.codes == {"entries.0.staff": ["not_allowed"]}
    with pytest.raises(Invalid):
        time(staff["neither"], client_entity, "AUD", ago(1), "1")


def test_a_receipt_is_checked_by_its_content(manager, codes, client_entity):
    row = {"client": client_entity.pk, "work_code": "TRV", "day": ago(1), "amount": "42.50"}
    (entry,) = actions.record_entries([{**row, "receipt": b"%PDF-1.7 ..."}], by=manager)
    assert entry.receipt_type == "application/pdf"
    with pytest.raises(Invalid) as refused:
        actions.record_entries([{**row, "receipt": b"MZ\x90 not a receipt"}], by=manager)
    assert refused.value.codes == {"receipt": ["invalid_type"]}


def test_wip_per_client_with_its_age(manager, codes, client_entity):
    actions.set_rate(by=manager, staff=manager, rate="100", effective_from=ago(400))
    time(manager, client_entity, "AUD", ago(10), "1")
    time(manager, client_entity, "AUD", ago(45), "2")
    time(manager, client_entity, "AUD", ago(120), "3")
    time(manager, client_entity, "ADM", ago(5), "4")  # not billable: not WIP
    actions.record_entries(
        [{"client": client_entity.pk, "work_code": "TRV", "day": ago(70), "amount": "30"}],
        by=manager,
    )
    (row,) = wip_by_client(user=manager, today=TODAY)
    assert row.hours == Decimal("6.00")
    assert row.time_value == Decimal("600.00") and row.expenses == Decimal("30.00")
    assert row.buckets == [
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("30.00"),
        Decimal("300.00"),
    ]
    assert row.oldest == ago(120)


@pytest.fixture
def wip(manager, codes, client_entity, template):
    actions.set_rate(by=manager, staff=manager, rate="100", effective_from=ago(400))
    entries = [time(manager, client_entity, "AUD", ago(n), "1") for n in (3, 2, 1)]
    entries.append(time(manager, client_entity, "TAX", ago(1), "1"))  # 100 + 10 %
    return entries


def test_a_draft_from_wip_with_a_pro_rata_write_down(manager, wip, client_entity):
    draft = invoicing.draft_from_wip(
        by=manager,
        client=client_entity,
        entries=[e.pk for e in wip[:3]],
        amount="250.00",
        reason="Goodwill",
    )
    links = list(InvoiceEntry.objects.filter(invoice=draft).order_by("entry_id"))
    assert sum(link.amount for link in links) == Decimal("250.00")
    assert {link.amount for link in links} <= {Decimal("83.33"), Decimal("83.34")}
    assert all(link.reason == "Goodwill" for link in links)
    assert draft.total_net == Decimal("250.00")
    assert set(
        Entry.objects.filter(pk__in=[e.pk for e in wip[:3]]).values_list("state", flat=True)
    ) == {"drafted"}
    # The recorded work is unchanged.
    assert Entry.objects.get(pk=wip[0].pk).amount == Decimal("100.00")
    # What is left in WIP: the entry not drafted.
    assert wip_by_client(user=manager, today=TODAY)[0].time_value == Decimal("110.00")


def test_by_hand_it_must_balance_to_the_cent(manager, wip, client_entity):
    ids = [e.pk for e in wip[:2]]
    with pytest.raises(Invalid) as refused:
        invoicing.draft_from_wip(
            by=manager,
            client=client_entity,
            entries=ids,
            amount="150.00",
            billed={ids[0]: "100.00", ids[1]: "49.99"},
            reason="Cap",
        )
    assert refused.value.codes == {"billed": ["unbalanced"]}
    with pytest.raises(Invalid) as refused:
        invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids, amount="150.00")
    assert refused.value.codes == {"reason": ["required"]}
    assert not InvoiceEntry.objects.exists()
    draft = invoicing.draft_from_wip(
        by=manager,
        client=client_entity,
        entries=ids,
        amount="150.00",
        billed={ids[0]: "100.00", ids[1]: "50.00"},
        reason="Cap",
    )
    assert draft.total_net == Decimal("150.00")


def test_finalizing_bills_deleting_returns_and_billed_is_locked(manager, wip, client_entity):
    ids = [e.pk for e in wip[:3]]
    draft = invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids)
    with pytest.raises(Invalid) as refused:  # not twice
        invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids[:1])
    assert refused.value.codes == {"entries": ["not_billable"]}
    invoicing.delete_draft(draft, by=manager)
    assert set(Entry.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"unbilled"}
    draft = invoicing.draft_from_wip(
        by=manager, client=client_entity, entries=ids, amount="330.00", reason="Extra work"
    )
    invoice = invoicing.finalize_invoice(draft, by=manager)
    billed = Entry.objects.filter(pk__in=ids)
    assert set(billed.values_list("state", flat=True)) == {"billed"}
    assert sum(e.billed_amount for e in billed) == Decimal("330.00")
    entry = Entry.objects.get(pk=ids[0])
    with pytest.raises(Frozen):
        actions.update_entry(entry, by=manager, fields={"hours": "5"})
    with pytest.raises(Frozen):
        entry.hours = Decimal(5)
        entry.save()
    with pytest.raises(Frozen):
        actions.delete_entry(entry, by=manager)
    # A credit note that says so gives them back to WIP.
    note = invoicing.create_credit_note(invoice, by=manager)
    note.returns_entries = True
    note.save(update_fields=["returns_entries"])
    invoicing.finalize_invoice(note, by=manager)
    assert set(Entry.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"unbilled"}
    again = invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids)
    assert again.total_net == Decimal("300.00")


def test_a_fixed_fee_with_or_without_entries(manager, wip, client_entity):
    draft = invoicing.draft_from_wip(
        by=manager, client=client_entity, bill="fixed", amount="1000.00"
    )
    assert draft.total_net == Decimal("1000.00") and not InvoiceEntry.objects.exists()
    with pytest.raises(Invalid) as refused:
        invoicing.draft_from_wip(by=manager, client=client_entity, bill="fixed")
    assert refused.value.codes == {"amount": ["required"]}


def test_drafting_from_wip_needs_owner_and_processing(staff, wip, client_entity):
    with pytest.raises(NotAllowed):
        invoicing.draft_from_wip(
            by=staff["processor_only"], client=client_entity, entries=[wip[0].pk]
        )


def test_pro_rata_always_adds_up():
    values = {1: Decimal("33.33"), 2: Decimal("33.33"), 3: Decimal("33.34")}
    for target in (Decimal("0.01"), Decimal("99.99"), Decimal("10.00"), Decimal("1000.00")):
        assert sum(pro_rata(values, target).values()) == target


def test_work_codes_import_all_or_nothing(manager):
    data = b"Code,Type,Name,Rate,Surcharge\nAUD,B,Audit,120,0\nADM,NB,Admin,,\n"
    saved = actions.import_work_codes(data, by=manager)
    assert [(c.code, c.billable) for c in saved] == [("AUD", True), ("ADM", False)]
    with pytest.raises(Invalid) as refused:
        actions.import_work_codes(b"TAX,B,Tax,abc,0\nX,Q,,1,0\n", by=manager)
    assert set(refused.value.errors) == {"line 1", "line 2"}
    assert WorkCode.objects.count() == 2


def test_a_csv_import_checks_first_then_writes_all_or_nothing(manager, codes, client_entity):
    from facturier.work import imports

    good = (
        "staff,client,work_code,date,hours,description\n"
        f"alice,{client_entity.pk},AUD,{ago(2).isoformat()},1:30,Revue\n"
        f"alice,{client_entity.name},AUD,{ago(1).strftime('%d/%m/%Y')},2,Bilan\n"
    ).encode()
    report = imports.dry_run(manager, good)
    assert report.ok and report.rows == 2 and not Entry.objects.exists()
    bad = good + f"nobody,{client_entity.pk},AUD,2026-13-01,99,X\n".encode()
    report = imports.import_entries(manager, bad)
    assert not report.ok and report.refused_count == 1
    assert {field for _line, field, _why in report.refused} == {"staff"}
    assert not Entry.objects.exists()  # nothing written
    report = imports.import_entries(manager, good)
    assert report.written == 2 and Entry.objects.count() == 2
    imported = list(Entry.objects.order_by("day").values_list("day", "hours", "amount", "state"))
    assert imported == [
        (ago(2), Decimal("1.50"), Decimal("150.00"), "unbilled"),
        (ago(1), Decimal("2.00"), Decimal("200.00"), "unbilled"),
    ]
    (row,) = wip_by_client(user=manager, today=TODAY)
    assert row.time_value == Decimal("350.00")
    with pytest.raises(Invalid) as refused:
        imports.dry_run(manager, b"hours\n1\n")
    assert refused.value.codes == {"file": ["missing_column"]}
    # A column it does not know (a misspelt "billable") is refused, not ignored.
    with pytest.raises(Invalid) as refused:
        imports.dry_run(manager, b"client,work_code,date,hours,billabel\n1,AUD,2026-01-05,1,no\n")
    assert refused.value.codes == {"file": ["unknown_column"]}
    assert "billabel" in refused.value.errors["file"][0]


def test_a_csv_import_reads_what_a_french_user_writes(manager, codes, client_entity):
    from facturier.work import imports

    day = ago(2).strftime("%d/%m/%Y")
    data = (
        "Collaborateur;Client;Code;Date;Heures;Libellé;Facturable\n"
        f"alice;{client_entity.pk};AUD;{day};1,5;Revue;oui\n"
        f"alice;{client_entity.pk};AUD;{day};0,75;Appel;non\n"
        f"alice;{client_entity.pk};AUD;{day};2;Bilan;Vrai\n"
        f"alice;{client_entity.pk};AUD;{day};1;Note;\n"
    ).encode("cp1252")
    report = imports.import_entries(manager, data)
    assert report.written == 4, report.refused
    rows = list(Entry.objects.order_by("pk").values_list("hours", "billable", "description"))
    assert rows == [
        (Decimal("1.50"), True, "Revue"),
        (Decimal("0.75"), False, "Appel"),
        (Decimal("2.00"), True, "Bilan"),
        (Decimal("1.00"), True, "Note"),  # empty: as the work code says
    ]


def test_a_csv_import_names_a_refused_column_as_the_file_does(manager, codes, client_entity):
    """A French file's refusals name its own headers ("Date", "Facturable"), not the
    entry's English fields ("day", "billable")."""
    from facturier.work import imports

    data = (
        "Collaborateur;Client;Code;Date;Heures;Libellé;Facturable\n"
        f"alice;{client_entity.pk};AUD;31/11/2026;1,5;Revue;peut-être\n"
    ).encode("cp1252")
    report = imports.dry_run(manager, data)
    assert {column for _line, column, _why in report.refused} == {"Date", "Facturable"}


def test_a_csv_import_refuses_values_past_the_header_naming_their_line(
    manager, codes, client_entity
):
    """A libellé holding the separator, unquoted, pushes values past the header: that
    row is refused with its line (nothing of the file written), not cut short; empty
    values past the header, as spreadsheets pad rows, are nothing."""
    from django.utils import translation

    from facturier.work import imports

    day = ago(2).strftime("%d/%m/%Y")
    data = (
        "Collaborateur;Client;Code;Date;Heures;Libellé\n"
        f"alice;{client_entity.pk};AUD;{day};1,5;Revue;bilan;clôture\n"
        f"alice;{client_entity.pk};AUD;{day};1;Appel;;\n"
    ).encode("cp1252")
    with translation.override("fr"):
        report = imports.import_entries(manager, data)
    assert report.refused == [
        (
            2,
            "",
            "2 valeurs de plus que les 6 colonnes de l'en-tête : mettez entre guillemets "
            "une valeur qui contient le séparateur.",
        )
    ]
    assert report.written == 0 and not Entry.objects.exists()


def test_a_csv_import_refuses_a_word_it_does_not_know_naming_its_line(
    manager, codes, client_entity
):
    from facturier.work import imports

    data = (
        "client,work_code,date,hours,billable\n"
        f"{client_entity.pk},AUD,{ago(2).isoformat()},1,yes\n"
        f"{client_entity.pk},AUD,{ago(2).isoformat()},1,peut-être\n"
        f"{client_entity.pk},AUD,10/27/2026,1,no\n"
    ).encode()
    report = imports.import_entries(manager, data)
    assert not report.ok and report.written == 0
    assert [(line, field) for line, field, _why in report.refused] == [
        (3, "billable"),
        (4, "date"),  # the file's column, not the entry's field
    ]
    assert not Entry.objects.exists()


def test_work_codes_import_reads_french(manager):
    data = (
        b"Code;Type;Nom;Taux;Majoration\n"
        b"AUD;Facturable;Audit;1 200,50;0\n"
        b"ADM;non facturable;Administration;;\n"
        b"TAX;oui;Fiscal;95,5;2,5\n"
    )
    saved = actions.import_work_codes(data, by=manager)
    assert [(c.code, c.billable, c.default_rate) for c in saved] == [
        ("AUD", True, Decimal("1200.50")),
        ("ADM", False, None),
        ("TAX", True, Decimal("95.5")),
    ]
    with pytest.raises(Invalid) as refused:
        actions.import_work_codes(b"Code;Type;Nom\nX;peut-etre;Y\n", by=manager)
    assert set(refused.value.errors) == {"line 2"}


def test_hours_spread_evenly_over_workdays():
    monday = datetime.date(2026, 11, 23)
    days = actions.workdays(monday, monday + datetime.timedelta(days=13), {0, 1, 2, 3, 4})
    assert len(days) == 10 and all(day.weekday() < 5 for day in days)
    parts = actions.spread(Decimal("10"), days[:3])
    assert [hours for _day, hours in parts] == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert sum(hours for _day, hours in actions.spread(Decimal("7.5"), days)) == Decimal("7.5")


def test_realization_per_invoice_client_and_staff(manager, wip, client_entity):
    from facturier.invoicing.realization import realization

    ids = [e.pk for e in wip[:3]]
    draft = invoicing.draft_from_wip(
        by=manager, client=client_entity, entries=ids, amount="240.00", reason="Remise"
    )
    invoicing.finalize_invoice(draft, by=manager)
    result = realization(user=manager, start=ago(10), end=TODAY)
    (client_row,) = result["clients"]
    assert (client_row.value, client_row.billed, client_row.rate) == (
        Decimal("300.00"),
        Decimal("240.00"),
        Decimal("80.0"),
    )
    assert result["staff"][0].rate == Decimal("80.0")
    assert len(result["invoices"]) == 1


def snapshot(user, **filters):
    from facturier.work.selectors import WipFilters

    return [
        (r.client_id, r.hours, r.time_value, r.expenses, r.oldest, r.unrated, r.buckets)
        for r in wip_by_client(user=user, today=TODAY, filters=WipFilters(**filters))
    ]


@pytest.mark.parametrize("kept", [False, True], ids=["months", "today"])
def test_the_wip_months_stay_in_step_with_the_entries(
    manager, codes, client_entity, template, firm, kept
):
    """The tab as it opens (today's rows when the worker aged them as of today, else the
    older months from WipMonth) says what summing every entry says, after each way an
    entry enters or leaves WIP."""
    from facturier.work import imports
    from facturier.work.models import WipAsOf

    every = {"start": datetime.date(2000, 1, 1)}  # a filter: every entry is summed
    if kept:
        actions.refresh_wip_today(firm.pk, TODAY)
    else:  # aged as of yesterday: not used, the tab sums
        WipAsOf.objects.create(firm=firm, day=ago(1))

    def same():
        assert snapshot(manager) == snapshot(manager, **every)
        assert WipAsOf.objects.get(firm=firm).day == (TODAY if kept else ago(1))

    actions.set_rate(by=manager, staff=manager, rate="100", effective_from=ago(500))
    rows = [
        {"client": client_entity.pk, "work_code": "AUD", "day": ago(n), "hours": "1"}
        for n in (1, 40, 95, 130, 200, 201, 380)
    ]
    rows.append({"client": client_entity.pk, "work_code": "TRV", "day": ago(150), "amount": "20"})
    rows.append({"client": client_entity.pk, "work_code": "TAX", "day": ago(300), "hours": "2"})
    entries = actions.record_entries(rows, by=manager)
    same()
    imports.import_entries(
        manager,
        f"client,work_code,date,hours\n{client_entity.pk},AUD,{ago(250).isoformat()},3\n".encode(),
    )
    same()
    actions.update_entry(entries[3], by=manager, fields={"day": ago(10)})  # an old one moves
    same()
    actions.delete_entry(entries[5], by=manager)
    same()
    draft = invoicing.draft_from_wip(
        by=manager, client=client_entity, entries=[entries[2].pk, entries[6].pk]
    )
    same()
    invoicing.delete_draft(draft, by=manager)
    same()
    draft = invoicing.draft_from_wip(
        by=manager, client=client_entity, entries=[entries[4].pk, entries[7].pk]
    )
    invoice = invoicing.finalize_invoice(draft, by=manager)
    same()
    note = invoicing.create_credit_note(invoice, by=manager, returns_entries=True)
    invoicing.finalize_invoice(note, by=manager)
    same()
    (row,) = wip_by_client(user=manager, today=TODAY)
    assert row.oldest == ago(380)  # given back to WIP when its draft was deleted
    assert row.buckets[-1] > 0
    # Aged again (as the worker does when the day turns): the same again.
    actions.refresh_wip_today(firm.pk, TODAY)
    assert snapshot(manager) == snapshot(manager, **every)


def test_interim_on_account_then_final_less_the_interims(manager, wip, client_entity):
    ids = [e.pk for e in wip[:3]]  # 300.00 of work
    interim = invoicing.draft_from_wip(
        by=manager, client=client_entity, bill="interim", entries=ids, amount="100.00"
    )
    assert interim.total_net == Decimal("100.00")
    # On account: the entries stay in WIP.
    assert set(Entry.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"unbilled"}
    interim = invoicing.finalize_invoice(interim, by=manager)
    final = invoicing.draft_from_wip(by=manager, client=client_entity, bill="final", entries=ids)
    lines = list(final.lines.order_by("position"))
    assert lines[-1].quantity == -1 and lines[-1].unit_price == Decimal("100.00")
    assert interim.number in lines[-1].description
    assert final.total_net == Decimal("200.00")  # 300.00 less the 100.00 on account
    final = invoicing.finalize_invoice(final, by=manager)  # passes the e-invoice checks
    assert set(Entry.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"billed"}
    # An interim is deducted once.
    invoicing.draft_from_wip(by=manager, client=client_entity, bill="final", entries=[wip[3].pk])
    assert final.deducts.count() == 1


def test_deleting_a_final_draft_frees_its_interims(manager, wip, client_entity):
    ids = [e.pk for e in wip[:3]]
    interim = invoicing.finalize_invoice(
        invoicing.draft_from_wip(
            by=manager, client=client_entity, bill="interim", entries=ids, amount="500.00"
        ),
        by=manager,
    )
    with pytest.raises(Invalid) as refused:  # more on account than the work
        invoicing.draft_from_wip(by=manager, client=client_entity, bill="final", entries=ids)
    assert refused.value.codes == {"amount": ["interims_exceed"]}
    final = invoicing.draft_from_wip(
        by=manager, client=client_entity, bill="final", entries=ids, amount="600.00", reason="x"
    )
    interim.refresh_from_db()
    assert interim.deducted_by_id == final.pk
    invoicing.delete_draft(final, by=manager)
    interim.refresh_from_db()
    assert interim.deducted_by_id is None


def test_the_worker_ages_wip_once_a_day(manager, codes, client_entity, firm):
    from facturier.work.models import WipAsOf, WipToday

    actions.set_rate(by=manager, staff=manager, rate="100", effective_from=ago(400))
    time(manager, client_entity, "AUD", ago(45), "2")
    assert actions.refresh_stale_wip() == 1
    assert WipAsOf.objects.get(firm=firm).day == TODAY
    today_row = WipToday.objects.get(client=client_entity)
    assert (today_row.b1, today_row.entries) == (Decimal("200.00"), 1)
    assert actions.refresh_stale_wip() == 0  # aged already
    time(manager, client_entity, "AUD", ago(1), "1")  # moves today's row at once
    today_row.refresh_from_db()
    assert (today_row.b0, today_row.b1, today_row.hours) == (
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("3.00"),
    )


def test_lines_from_wip_read_as_the_clients_language_writes(manager, codes, client_entity):
    """A French client's invoice says 3,75 h and 27 octobre 2026, never 3.75 or 2026-10-27;
    so does the line of an interim invoice, and the one deducting it."""
    from facturier.clients.models import Client

    Client.objects.filter(pk=client_entity.pk).update(language="fr")
    client_entity.refresh_from_db()
    actions.set_rate(by=manager, staff=manager, rate="100", effective_from=ago(400))
    first, last = datetime.date(2026, 10, 27), datetime.date(2026, 12, 1)
    ids = [time(manager, client_entity, "AUD", first, "1.5").pk]
    ids.append(time(manager, client_entity, "AUD", last, "2.25").pk)
    by_code = invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids)
    (line,) = by_code.lines.all()
    assert line.description == "Audit : 3,75 h, du 27 octobre 2026 au 1er décembre 2026"
    invoicing.delete_draft(by_code, by=manager)
    by_entry = invoicing.draft_from_wip(
        by=manager, client=client_entity, entries=ids, grouping="entry"
    )
    assert by_entry.lines.order_by("position")[0].description == ("27 octobre 2026 — Audit (1,5 h)")
    invoicing.delete_draft(by_entry, by=manager)
    interim = invoicing.draft_from_wip(
        by=manager, client=client_entity, bill="interim", entries=ids, amount="100.00"
    )
    assert interim.lines.get().description.endswith("au 1er décembre 2026")


def test_a_line_names_one_day_once_and_counts_one_expense_in_the_singular(
    manager, codes, client_entity
):
    """Hours worked on a single day read "le 7 décembre 2026", not "du 7 décembre 2026
    au 7 décembre 2026"; a single expense is "1 expense", not "1 expenses"."""
    from facturier.clients.models import Client

    actions.set_rate(by=manager, staff=manager, rate="100", effective_from=ago(400))
    day = datetime.date(2026, 12, 1)
    ids = [time(manager, client_entity, "AUD", day, "1").pk]
    ids.append(time(manager, client_entity, "AUD", day, "0.5").pk)
    (expense,) = actions.record_entries(
        [{"client": client_entity.pk, "work_code": "TRV", "day": day, "amount": "42.50"}],
        by=manager,
    )
    ids.append(expense.pk)
    french = invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids)
    texts = [line.description for line in french.lines.order_by("position")]
    assert texts == ["Audit : 1,5 h, le 1er décembre 2026", "Travel : 1 frais"]
    invoicing.delete_draft(french, by=manager)
    Client.objects.filter(pk=client_entity.pk).update(language="en")
    client_entity.refresh_from_db()
    english = invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids)
    texts = [line.description for line in english.lines.order_by("position")]
    assert texts == ["Audit: 1.5 h, on 1 December 2026", "Travel: 1 expense"]


def test_a_write_down_as_a_percentage(manager, wip, client_entity):
    ids = [e.pk for e in wip[:3]]  # 300.00 of work
    with pytest.raises(Invalid) as refused:
        invoicing.draft_from_wip(
            by=manager, client=client_entity, entries=ids, amount="250", percent="-10"
        )
    assert refused.value.codes == {"percent": ["conflict"]}
    with pytest.raises(Invalid) as refused:
        invoicing.draft_from_wip(by=manager, client=client_entity, entries=ids, percent="moins")
    assert refused.value.codes == {"percent": ["invalid"]}
    draft = invoicing.draft_from_wip(
        by=manager, client=client_entity, entries=ids, percent="-12,5", reason="Geste"
    )
    assert draft.total_net == Decimal("262.50")
    assert invoicing.realization_percent(Decimal("300.00"), draft.total_net) == Decimal("87.5")


def test_the_final_invoice_also_deducts_the_deposits_paid(manager, wip, client_entity):
    from facturier.receivables import actions as receivables

    deposit = invoicing.finalize_invoice(
        invoicing.draft_deposit(by=manager, client=client_entity, amount="100"), by=manager
    )
    receivables.record_payment(
        by=manager, client=client_entity, amount="120.00", received_on=deposit.issue_date
    )
    ids = [e.pk for e in wip[:3]]  # 300.00 of work
    final = invoicing.draft_from_wip(by=manager, client=client_entity, bill="final", entries=ids)
    final = invoicing.finalize_invoice(final, by=manager)
    # The whole work is billed; the deposit paid is deducted from what is due, not a line.
    assert final.total_gross == Decimal("360.00") and final.prepaid == Decimal("120.00")
    assert final.balance == Decimal("240.00")
    assert all(line.quantity > 0 for line in final.lines.all())
    assert list(final.deducts.values_list("number", flat=True)) == [deposit.number]


def test_a_deposit_larger_than_the_final_invoice_waits(manager, wip, client_entity):
    from facturier.receivables import actions as receivables

    deposit = invoicing.finalize_invoice(
        invoicing.draft_deposit(by=manager, client=client_entity, amount="1000"), by=manager
    )
    receivables.record_payment(
        by=manager, client=client_entity, amount="1200.00", received_on=deposit.issue_date
    )
    ids = [e.pk for e in wip[:3]]  # 300.00 of work: 360.00 with VAT, less than the deposit
    final = invoicing.draft_from_wip(by=manager, client=client_entity, bill="final", entries=ids)
    assert not final.deducts.exists()
    final = invoicing.finalize_invoice(final, by=manager)  # asks 360.00, not -840.00
    assert final.prepaid == 0 and final.balance == Decimal("360.00")
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None  # a later invoice deducts it
