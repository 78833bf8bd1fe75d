"""1. PDF rendering: facturier's Typst renderer against a warm headless Chromium
(how peers render: one browser, one page kept open, page.pdf()) and WeasyPrint,
on the same invoice. Each render is a different invoice (Typst memoizes).

Each engine gets one core of its own: Typst and WeasyPrint run in this process on
one core, Chromium (and Playwright's driver) on the other, and the two swap cores
every round so that a core slowed by a neighbour slows both alike. Chromium keeps
working for a while after page.pdf() returns (about a third of a core for a
second or two after a page is set); on a shared core that work would be timed
as part of the next Typst render (a 8 ms render measured 19 ms beside an idle
page), which is Chromium's cost, not Typst's. What Chromium does after
returning is not counted for Chromium either, so its figures are if anything
favourable to it.

    python -m bench.pdf_render [--quick]
"""

import argparse
import copy
import os
import random
import shutil
import time
from decimal import Decimal
from pathlib import Path

from bench.common import (
    OUT,
    figure,
    interleave,
    machine,
    median_ms,
    rss_mib,
    setup_django,
    table,
)


def snapshots():
    from facturier.core import money
    from facturier.firms.models import Firm
    from facturier.invoicing.actions.templates import sample_snapshot
    from facturier.invoicing.models import InvoiceTemplate
    from facturier.invoicing.snapshots import totals_snapshot

    firm = Firm(
        name="Cabinet Martin & Associés",
        address_line1="42 rue de la Chaussée-d'Antin",
        postal_code="75009",
        city="Paris",
        siren="732829320",
        vat_number="FR44732829320",
        iban="FR7630006000011234567890189",
        late_payment_penalty_rate=Decimal("12.15"),
        recovery_indemnity=Decimal("40"),
    )
    base = sample_snapshot(firm, InvoiceTemplate(name="Standard"), language="fr")
    rng = random.Random(7)

    def make(lines: int, seed: int) -> dict:
        snapshot = copy.deepcopy(base)
        rows, pairs = [], []
        for i in range(lines):
            price = Decimal(rng.randint(1000, 200000)) / 100
            qty = Decimal(rng.randint(1, 20))
            net = money.line_net(qty, price, Decimal(0), "EUR")
            pairs.append((net, Decimal(20)))
            rows.append(
                {
                    "description": f"Prestation {seed}-{i} — tenue comptable et révision",
                    "quantity": str(qty),
                    "unit_price": str(price),
                    "vat_rate": "20",
                    "discount_percent": "0",
                    "net": str(net),
                }
            )
        snapshot["lines"] = rows
        snapshot["number"] = f"{seed:07d}"
        snapshot["totals"] = totals_snapshot(money.compute_totals(pairs, "EUR"))
        return snapshot

    return make


def use_invoice_fonts() -> None:
    """Chromium and WeasyPrint find fonts through fontconfig: give them the Inter
    files Typst uses, so all three set the invoice in the same font (without this
    the HTML's Inter falls back to DejaVu Sans). Installed, not loaded per page."""
    from facturier.invoicing.documents.renderer import FONTS

    config = OUT / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{FONTS}</dir>\n  <cachedir>{OUT / 'fontconfig'}</cachedir>\n</fontconfig>\n"
    )
    os.environ["FONTCONFIG_FILE"] = str(config)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _pin(pids: list[int], core: int) -> None:
    """Every thread of these processes onto one core."""
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                os.sched_setaffinity(int(task.name), {core})
            except (OSError, ValueError):
                pass  # a thread that has just ended


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    first, second = cores[0], cores[-1]

    def swap_cores(round_index: int) -> None:
        typst_core, browser_core = (first, second) if round_index % 2 == 0 else (second, first)
        _pin(_descendants(os.getpid()), browser_core)  # Playwright's driver and Chromium
        _pin([os.getpid()], typst_core)  # this process: Typst and WeasyPrint

    setup_django()
    use_invoice_fonts()
    from playwright.sync_api import sync_playwright
    from weasyprint import HTML

    from bench.invoice_html import render_html
    from facturier.invoicing.documents import layout_input
    from facturier.invoicing.documents.renderer import get_renderer

    make = snapshots()

    def document(snapshot):
        return layout_input(snapshot, draft=False)

    def typst_render(snapshot):
        return get_renderer().render(layout_input(snapshot, draft=False))

    # Each timed call renders invoice i of a pool made beforehand: the bench's own
    # invoice-making is not timed, and no two calls render the same invoice.
    pool: list[dict] = []

    def typst_run(i):
        return typst_render(pool[i])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        swap_cores(0)

        def chromium_run(i):
            page.set_content(render_html(document(pool[i])))
            return page.pdf(format="A4", print_background=True)

        def weasy_run(i):
            return HTML(string=render_html(document(pool[i]))).write_pdf()

        results = {}
        for lines, rounds in ((10, 6 if args.quick else 20), (500, 2 if args.quick else 5)):
            results[lines] = {}
            # Typst against each engine in turn, so each of Typst's calls follows
            # only the other engine's on its core: WeasyPrint runs in this thread
            # and leaves the CPU caches cold for whatever runs next here, which
            # Chromium, on its own core, never suffers.
            for other, run in (("chromium", chromium_run), ("weasyprint", weasy_run)):
                pool[:] = [make(lines, i) for i in range(2 * (1 + rounds))]
                times = interleave(
                    {"typst": typst_run, other: run},
                    rounds=rounds,
                    # WeasyPrint leaves much garbage, to be collected in no one's time.
                    gc_off=True,
                    before_round=swap_cores,
                )
                results[lines][other] = median_ms(times[other])
                results[lines][f"typst vs {other}"] = median_ms(times["typst"])
            results[lines]["typst"] = results[lines]["typst vs chromium"]
        browser.close()

    table(
        f"Time per render (median ms; Typst and WeasyPrint on one of cores {first} and "
        f"{second}, Chromium on the other, swapped every round)",
        ["invoice", "typst", "chromium", "weasyprint", "chromium/typst", "weasyprint/typst"],
        [
            [
                f"{n} lines",
                f"{r['typst']:.1f}",
                f"{r['chromium']:.1f}",
                f"{r['weasyprint']:.1f}",
                f"{r['chromium'] / r['typst vs chromium']:.2f}x",
                f"{r['weasyprint'] / r['typst vs weasyprint']:.2f}x",
            ]
            for n, r in results.items()
        ],
    )
    print(
        f"\nrenders per second on one core (10 lines): typst "
        f"{1000 / results[10]['typst']:.0f}, chromium {1000 / results[10]['chromium']:.0f}, "
        f"weasyprint {1000 / results[10]['weasyprint']:.0f}"
    )

    # Memory: mixed invoices in one long-lived process, as a web or worker process sees them.
    renders = 300 if args.quick else 2000
    mix = [1, 3, 5, 10, 10, 12, 20, 40, 10, 200]
    warm = renders // 10
    samples = []
    start = time.perf_counter()
    for i in range(renders):
        typst_render(make(mix[i % len(mix)], 10_000 + i))
        if i + 1 == warm or (i + 1) % (renders // 10) == 0:
            samples.append((i + 1, rss_mib()))
    elapsed = time.perf_counter() - start
    table(
        "RSS over mixed renders (MiB)",
        ["after renders", "RSS"],
        [[n, f"{rss:.0f}"] for n, rss in samples],
    )
    growth = samples[-1][1] - samples[0][1]
    print(f"\n{renders} mixed renders in {elapsed:.1f} s; {machine()}")
    for lines, name, mark in ((10, "one page", 6), (500, "500 lines", 1.5)):
        r = results[lines]
        figure(f"pdf {name}: chromium/typst", r["chromium"] / r["typst vs chromium"], mark)
    figure(
        f"pdf RSS growth after warm-up over {renders} renders",
        growth,
        32,
        unit=" MiB",
        higher_is_better=False,
    )


if __name__ == "__main__":
    main()
