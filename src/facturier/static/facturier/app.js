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
      // "Send selected invoices" on one invoice already sent: offer its Resend instead.
      const fallback = control.dataset.fallback;
      if (fallback) {
        const name = fallback.charAt(0).toUpperCase() + fallback.slice(1);
        const takeOver = reason !== "" && rows.length === 1 && !rows[0].dataset["why" + name];
        // Its own item leaves the menu meanwhile: one "Resend" read out, not two alike.
        const twin = form.querySelector('[data-action="' + name + '"]');
        if (twin && twin.closest("li")) twin.closest("li").hidden = takeOver;
        // Both labels and values come with the markup (data-value, data-label): a
        // toolbar swapped in by htmx has them too.
        control.value = takeOver ? fallback : control.dataset.value;
        control.textContent = takeOver ? control.dataset.fallbackLabel : control.dataset.label;
        if (takeOver) reason = "";
      }
      control.disabled = reason !== "";
      control.setAttribute("aria-disabled", reason !== "" ? "true" : "false");
      const slot = document.getElementById(control.getAttribute("aria-describedby"));
      if (slot) slot.textContent = reason;
      control.title = reason;
    });
  }

  // Delegated from the document: a toolbar that htmx swaps in works at once, and
  // one swapped in twice is never bound twice.
  document.addEventListener("change", function (event) {
    const form = event.target.closest && event.target.closest("form[data-selection]");
    if (!form) return;
    const boxes = form.querySelectorAll("input[name=ids]");
    const all = form.querySelector("input[data-select-all]");
    if (event.target === all) {
      boxes.forEach(function (box) { box.checked = all.checked; });
    } else if (event.target.name === "ids" && all) {
      all.checked = boxes.length > 0 && Array.from(boxes).every(function (b) { return b.checked; });
    }
    refreshToolbar(form);
  });

  // --- Invoice lines editor -------------------------------------------------------
  document.addEventListener("click", function (event) {
    const editor = event.target.closest && event.target.closest("[data-lines-editor]");
    if (!editor) return;
    const body = editor.querySelector("tbody");
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
      body.appendChild(editor.querySelector("template").content.cloneNode(true));
      const rows = body.querySelectorAll("tr");
      rows[rows.length - 1].querySelector("input").focus();
      editor.dispatchEvent(new Event("lines-changed", { bubbles: true }));
    }
  });

  // What the markup alone cannot say: run on the page and on whatever htmx swaps in.
  function setup(root) {
    const forms = Array.from(root.querySelectorAll("form[data-selection]"));
    if (root.matches && root.matches("form[data-selection]")) forms.push(root);
    forms.forEach(refreshToolbar);
    // A dialog rendered open by the server (no-JS fallback) becomes a modal one;
    // closing it (Escape, Cancel, ×) goes back to where it was opened from.
    root.querySelectorAll("dialog[data-autoshow][open]").forEach(function (d) {
      d.close();
      d.showModal();
      d.addEventListener("close", function () {
        // (The close() just above fires its event later, once the dialog is open again.)
        if (!d.open && d.dataset.return) window.location.assign(d.dataset.return);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setup(document);
    // A form refused comes back with its errors: start at the first field to mend (its
    // error is read with it: aria-describedby), else at the form's own error.
    const invalid = document.querySelector("#content [aria-invalid=true]") ||
      document.querySelector("#content form .field-error");
    if (invalid) {
      if (!invalid.matches("input, select, textarea")) invalid.setAttribute("tabindex", "-1");
      invalid.focus();
      return;
    }
    // After an action the page comes back with its outcome: start reading there.
    const flash = document.querySelector("#messages .flash");
    if (flash) {
      flash.setAttribute("tabindex", "-1");
      flash.focus();
    }
  });

  // Escape closes an open menu (Plus d'actions) and gives the focus back to it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const menu = event.target.closest && event.target.closest("details[open]");
    if (menu) {
      event.preventDefault();
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    }
  });

  // The e-mail preview follows the "To" field as it is typed.
  document.addEventListener("input", function (event) {
    const source = event.target.dataset && event.target.dataset.previewSource;
    if (!source) return;
    const form = event.target.form;
    form.querySelectorAll('[data-preview="' + source + '"]').forEach(function (slot) {
      slot.textContent = event.target.value;
    });
  });

  // --- The list reloads (filters, polling): keep the ticks and the focus -------------
  let kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || target.id !== "invoice-table") return;
    const active = document.activeElement;
    kept = {
      ids: Array.from(target.querySelectorAll("input[name=ids]:checked")).map(function (b) { return b.value; }),
      focus: active && target.contains(active) ?
        { name: active.name, value: active.value, id: active.id } : null,
    };
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    // The list reloaded by a filter, a search, the sort or a page: a message about an
    // earlier action ("Facture 0001094 fermée.") no longer goes with what is shown.
    if (target && target.id === "invoice-table") {
      document.querySelectorAll("#messages .flash").forEach(function (old) { old.remove(); });
    }
    if (!kept || !target || target.id !== "invoice-table") return;
    target.querySelectorAll("input[name=ids]").forEach(function (box) {
      if (kept.ids.indexOf(box.value) !== -1) box.checked = true;
    });
    const form = target.querySelector("form[data-selection]");
    if (form) refreshToolbar(form);
    if (kept.focus) {
      const again = (kept.focus.id && document.getElementById(kept.focus.id)) ||
        target.querySelector('[name="' + kept.focus.name + '"][value="' + kept.focus.value + '"]');
      if (again) again.focus();
    }
    kept = null;
  });

  // --- Dialogs loaded by htmx ------------------------------------------------------
  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    setup(target);
    if (target.tagName !== "DIALOG") return;
    if (!target.open) target.showModal();
    // Back with errors: start at the first field to mend; else at the first field.
    const first = target.querySelector("[aria-invalid=true]") ||
      target.querySelector("select, input:not([type=hidden]), textarea, button");
    if (first) first.focus();
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
  // Picked with the mouse, a language applies at once. With the keyboard the arrow
  // keys only move the choice (nothing changes under the user's hands), and OK
  // beside the list applies it.
  let pointer = false;
  document.addEventListener("pointerdown", function (event) {
    pointer = !!(event.target.closest && event.target.closest("select[data-autosubmit]"));
  });
  document.addEventListener("keydown", function () { pointer = false; });
  document.addEventListener("change", function (event) {
    if (pointer && event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });

})();
