"""On PostgreSQL the app's statements are prepared by the server once per connection
(parameters sent apart, psycopg's prepare_threshold), unless DATABASE_PREPARED=0."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from facturier.invoicing.selectors import lines_of


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_often_is_planned_once(make_draft):
    invoice = make_draft()
    for _ in range(6):
        assert [line.description for line in lines_of(invoice)] == ["Tenue comptable"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('FROM "invoicing_invoiceline"' in statement for statement in prepared), prepared


def _options(**env) -> str:
    code = (
        "from django.conf import settings; "
        "print(sorted(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    given = {k: v for k, v in os.environ.items() if k != "DATABASE_PREPARED"}
    given |= {"DJANGO_SETTINGS_MODULE": "facturier.settings"} | env
    return subprocess.run(
        [sys.executable, "-c", code], env=given, capture_output=True, text=True, check=True
    ).stdout


def test_postgresql_prepares_unless_told_not_to():
    url = "postgresql://someone@db.example:5432/firm"
    assert "prepare_threshold" in _options(DATABASE_URL=url)
    assert "server_side_binding" in _options(DATABASE_URL=url)
    assert _options(DATABASE_URL=url, DATABASE_PREPARED="0") == "[]\n"
    assert _options(DATABASE_URL=url, DATABASE_PREPARED="off") == "[]\n"
