"""The keyboard alone: every control of the e-mail dialog in Tab order, Escape closes
it, and each control a user tabs to draws a focus ring at 3:1 or more."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_seed_steps import finalized, tick

pytestmark = pytest.mark.e2e

# The ring's colour against the background behind the control: WCAG 1.4.11 asks 3:1.
RING = """el => {
  const s = getComputedStyle(el);
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  // A translucent background (a striped table row's) is seen over the white page.
  const blend = c => {
    const p = c.match(/[\\d.]+/g).map(Number), a = p.length > 3 ? p[3] : 1;
    return `rgb(${p.slice(0, 3).map(v => v * a + 255 * (1 - a)).join(", ")})`;
  };
  let back = el.parentElement, bg = "rgb(255, 255, 255)";
  while (back) {
    const c = getComputedStyle(back).backgroundColor;
    if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") { bg = blend(c); break; }
    back = back.parentElement;
  }
  const [a, b] = [lum(s.outlineColor), lum(bg)].sort((x, y) => y - x);
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), ratio: (a + 0.05) / (b + 0.05)};
}"""


def assert_ring(page, name):
    ring = page.evaluate_handle("() => document.activeElement").evaluate(RING)
    assert ring["style"] != "none" and ring["width"] >= 2, (name, ring)
    assert ring["ratio"] >= 3, (name, ring)


def test_tab_reaches_every_control_of_the_email_dialog_and_escape_closes_it(open_as):
    page = open_as("alice", locale="fr-FR")
    tick(page, finalized())
    menu = page.get_by_role("button", name="Plus d'actions")
    menu.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    entry = page.locator("details.dropdown").get_by_role(
        "button", name="Envoyer les factures sélectionnées"
    )
    expect(entry).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_label("Objet")).to_be_visible()
    reached = []
    for _ in range(15):
        page.keyboard.press("Tab")
        name = page.evaluate(
            "() => { const e = document.activeElement; if (e === document.body) return null;"
            " return e.id || e.getAttribute('aria-label') || e.textContent.trim(); }"
        )
        if name is None:
            break  # past the dialog's last control: the browser's own (a modal's edge)
        focused = page.evaluate_handle("document.activeElement")
        assert dialog.evaluate("(d, e) => d.contains(e)", focused), name
        assert_ring(page, name)
        if name in reached:
            break  # round the dialog once: focus stays inside it
        reached.append(name)
    for control in (
        "Fermer la fenêtre",
        "send-to",
        "send-cc",
        "send-language",
        "send-subject",
        "send-message",
        "Aperçu",
        "Envoyer",
        "Annuler",
    ):
        assert control in reached, (control, reached)
    assert reached[-1] == "Annuler", reached
    assert reached[-1] == "Annuler", reached
    page.keyboard.press("Escape")
    expect(page.locator("dialog[open]")).to_have_count(0)


def test_the_filter_and_more_actions_show_their_focus(open_as):
    page = open_as("alice", locale="fr-FR")
    for name in ("Filtre", "Plus d'actions"):
        page.locator("summary", has_text=name).focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus from the keyboard: :focus-visible
        expect(page.locator("summary", has_text=name)).to_be_focused()
        assert_ring(page, name)


def test_the_first_tab_skips_the_menus_to_the_content(open_as):
    page = open_as("alice", locale="fr-FR")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, box  # shown on the page once focused
    assert_ring(page, "Aller au contenu")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is the page's own first control, past the menus and the language.
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_the_calendar_button_of_a_date_field_draws_the_ring(open_as):
    """The last Tab stop of a date field is its calendar button, inside the field: the
    field kept no ring there (the user lost sight of the focus until the next field)."""
    page = open_as("alice", locale="fr-FR")
    page.goto(page.base + "/billing/invoices/new/")
    page.get_by_label("Client").focus()
    stops = []
    for _ in range(4):  # day, month, year, then the calendar button
        page.keyboard.press("Tab")
        stops.append(page.evaluate("document.activeElement.name"))
        assert_ring(page, f"date field, stop {len(stops)}")
    assert stops == ["issue_date"] * 4
