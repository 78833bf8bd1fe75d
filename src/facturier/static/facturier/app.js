// facturier: small enhancements on top of server-rendered pages. Every action
// also works without this file; the server checks every right again.
(function () {
  "use strict";

  // --- Selection toolbar: enable each action only when it applies -------------------
  function selectedRows(form) {
    return Array.from(form.querySelectorAll("input[name=ids]:checked"));
  }

  function refreshToolbar(form) {
    const rows = selectedRows(form);
    const count = form.querySelector("[data-selection-count]");
    if (count) {
      count.textContent = rows.length ? count.dataset.template.replace("%s", rows.length) : "";
    }
    form.querySelectorAll("[data-action]").forEach(function (control) {
      const min = parseInt(control.dataset.min || "1", 10);
      const max = parseInt(control.dataset.max || "0", 10);
      const action = control.dataset.action;
      let reason = "";
      if (rows.length < min) {
        reason = control.dataset.reasonNone || "";
      } else if (max && rows.length > max) {
        reason = control.dataset.reasonMany || "";
      } else {
        const refused = rows.find(function (row) { return row.dataset["why" + action]; });
        if (refused) reason = refused.dataset["why" + action];
      }
      control.disabled = reason !== "";
      control.setAttribute("aria-disabled", reason !== "" ? "true" : "false");
      const slot = document.getElementById(control.getAttribute("aria-describedby"));
      if (slot) slot.textContent = reason;
      control.title = reason;
    });
  }

  function setupSelection(form) {
    const all = form.querySelector("input[data-select-all]");
    if (all) {
      all.addEventListener("change", function () {
        form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
        refreshToolbar(form);
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "ids" && all) {
        const boxes = form.querySelectorAll("input[name=ids]");
        all.checked = Array.from(boxes).every(function (b) { return b.checked; }) && boxes.length > 0;
      }
      refreshToolbar(form);
    });
    refreshToolbar(form);
  }

  // --- Invoice lines editor -------------------------------------------------------
  function setupLines(editor) {
    const body = editor.querySelector("tbody");
    const template = editor.querySelector("template");
    editor.addEventListener("click", function (event) {
      const remove = event.target.closest("[data-remove-line]");
      if (remove) {
        event.preventDefault();
        const row = remove.closest("tr");
        if (body.querySelectorAll("tr").length > 1) row.remove();
        else row.querySelectorAll("input").forEach(function (i) { i.value = i.defaultValue = ""; });
        editor.dispatchEvent(new Event("lines-changed", { bubbles: true }));
      }
      const add = event.target.closest("[data-add-line]");
      if (add) {
        event.preventDefault();
        body.appendChild(template.content.cloneNode(true));
        const rows = body.querySelectorAll("tr");
        rows[rows.length - 1].querySelector("input").focus();
        editor.dispatchEvent(new Event("lines-changed", { bubbles: true }));
      }
    });
  }

  function setup(root) {
    root.querySelectorAll("form[data-selection]").forEach(setupSelection);
    root.querySelectorAll("[data-lines-editor]").forEach(setupLines);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setup(document);
    // A dialog rendered open by the server (no-JS fallback) becomes a modal one.
    document.querySelectorAll("dialog[data-autoshow][open]").forEach(function (d) {
      d.close();
      d.showModal();
    });
  });

  // --- Dialogs loaded by htmx ------------------------------------------------------
  document.addEventListener("htmx:afterSwap", function (event) {
    const dialog = document.getElementById("dialog");
    if (event.detail.target !== dialog) setup(event.detail.target);
    if (event.detail.target === dialog) {
      setup(dialog);
      if (!dialog.open) dialog.showModal();
      const first = dialog.querySelector("select, input:not([type=hidden]), textarea, button");
      if (first) first.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-dialog]")) {
      event.preventDefault();
      event.target.closest("dialog").close();
    }
    // A button that asks first (no inline handlers: the Content-Security-Policy).
    const asking = event.target.closest("button[data-confirm]");
    if (asking && !asking.disabled && !window.confirm(asking.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // --- The language switch ----------------------------------------------------------
  // A pick with the mouse applies at once; with the keyboard, arrow keys only move
  // the choice, and Enter (or leaving the list) applies it.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      let keyed = false;
      const initial = select.value;
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          if (select.value !== initial) select.form.requestSubmit();
        } else if (event.key !== "Tab") {
          keyed = true;
        }
      });
      select.addEventListener("change", function () {
        if (!keyed) select.form.requestSubmit();
      });
      select.addEventListener("blur", function () {
        if (keyed && select.value !== initial) select.form.requestSubmit();
        keyed = false;
      });
    });
  });
})();
