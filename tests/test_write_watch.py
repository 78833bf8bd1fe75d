"""The write watch of test_writes_through_actions sees every app, not a chosen few.

A view made for this test only (its own URLconf) writes to a work table and to a
receivables table, once outside an action and once through one: the watch must
report the first and only the first, whichever app the tables belong to.
"""

from django.db import connection
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from facturier.core.actions import action
from facturier.firms.models import Firm
from facturier.receivables.models import ReminderLevel
from facturier.work.models import WorkCode
from tests.test_writes_through_actions import NOT_DOMAIN, WRITE, WriteWatch, domain_tables


def _write(code: str) -> None:
    firm = Firm.objects.get()
    WorkCode.objects.create(firm=firm, code=code, name="Conseil")
    ReminderLevel.objects.create(
        firm=firm,
        days=len(code),
        subject_fr="Relance",
        message_fr="Bonjour",
        subject_en="Reminder",
        message_en="Hello",
    )


def stray(request):
    _write("STRAY")
    return HttpResponse("written")


@action
def _write_in_action(code: str) -> None:
    _write(code)


def proper(request):
    _write_in_action("PROPER")
    return HttpResponse("written")


urlpatterns = [path("stray/", stray), path("proper/", proper)]


def _tables(reports: list[str]) -> set[str]:
    """The tables written, read back from the reports ("where: SQL")."""
    return {WRITE.match(report.split(": ", 1)[1])[1] for report in reports}


@override_settings(ROOT_URLCONF=__name__)
def test_a_write_outside_an_action_is_reported_whatever_the_app(client, firm):
    watcher = WriteWatch()
    with connection.execute_wrapper(watcher):
        with watcher.during("POST", "POST /stray/"):
            assert client.post("/stray/").status_code == 200
        with watcher.during("GET", "GET /proper/"):
            assert client.get("/proper/").status_code == 200
    assert _tables(watcher.outside) == {"work_workcode", "receivables_reminderlevel"}
    assert all(r.startswith("POST /stray/") for r in watcher.outside)
    # Through an action the write is allowed, but never on a GET.
    assert _tables(watcher.by_get) == {"work_workcode", "receivables_reminderlevel"}
    assert WorkCode.objects.filter(code__in=["STRAY", "PROPER"]).count() == 2


def test_every_table_of_every_app_is_watched_but_the_named_exceptions():
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("facturier."):
            continue
        for model in config.get_models(include_auto_created=True):
            table = model._meta.db_table
            assert table in domain_tables() or table in NOT_DOMAIN, table
    assert {"work_entry", "receivables_payment", "firms_user"} <= domain_tables()
    for table, reason in NOT_DOMAIN.items():
        assert table not in domain_tables() and reason.strip(), table
