"""The browser suite's own guard: a part of a page that answers 404 (an icon, a style, a
script) is caught, so every page the suite visits is free of them."""

import pytest

from tests.e2e.conftest import console_errors, missing_parts

pytestmark = pytest.mark.e2e


def test_a_missing_image_or_script_on_a_page_is_caught(chromium, live_server, demo):
    context = chromium.new_context()
    caught: list[str] = []
    page = context.new_page()
    page.on("response", lambda response: caught.extend(missing_parts(response)))
    page.on("console", lambda message: caught.extend(console_errors(message)))
    page.goto(f"{live_server.url}/login/")
    assert caught == []  # the login page as it is: nothing missing
    with page.expect_response("**/static/nothing-here.png"):
        page.evaluate(
            "() => { const i = document.createElement('img');"
            " i.src = '/static/nothing-here.png'; document.body.append(i); }"
        )
    page.wait_for_timeout(200)
    assert [line.split(" ")[:2] for line in caught] == [["404", "image"]]
    page.goto(f"{live_server.url}/no-such-page/")  # a document's own 404 is not a part's
    assert len(caught) == 1
    context.close()
