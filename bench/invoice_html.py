"""The same invoice as HTML, for the renderers peers use (Chromium, WeasyPrint).

It prints the very document the Typst layout receives, with the same blocks, so
the comparison is between engines, not between amounts of work."""

from html import escape

CSS = """
@page { size: A4; margin: 18mm 17mm 24mm 17mm;
        @bottom-right { content: "Page " counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: Inter, sans-serif; font-size: 9.5pt; color: #222; }
.head { display: flex; justify-content: space-between; }
h1 { color: ACCENT; margin: 0; font-size: 20pt; text-align: right; }
.refs { text-align: right; color: #555; }
.buyer { margin: 10mm 0 8mm 50%; border-left: 2px solid ACCENT; padding-left: 10px; }
table.lines { width: 100%; border-collapse: collapse; }
table.lines thead { display: table-header-group; }
table.lines th { background: ACCENT; color: white; text-align: right; padding: 5px; }
table.lines th:first-child, table.lines td:first-child { text-align: left; }
table.lines td { text-align: right; padding: 5px; }
table.lines tr:nth-child(even) td { background: #f6f6f6; }
table.lines tr { page-break-inside: avoid; }
.totals { margin-left: 45%; margin-top: 4mm; page-break-inside: avoid; }
.totals div { display: flex; justify-content: space-between; padding: 3px 0; }
.gross { font-weight: bold; font-size: 11pt; border-top: 1px solid ACCENT; }
.block { margin-top: 6mm; font-size: 8.5pt; page-break-inside: avoid; }
.block b { color: ACCENT; }
.watermark { position: fixed; top: 40%; left: 10%; font-size: 96pt; color: #e1e1e1;
             transform: rotate(-35deg); z-index: -1; }
"""


def _e(text) -> str:
    return escape(str(text))


def render_html(doc: dict) -> str:
    accent = doc["accent"]
    lines = "".join(
        f"<tr><td>{_e(line['description'])}</td><td>{_e(line['quantity'])}</td>"
        f"<td>{_e(line['unit_price'])}</td><td>{_e(line['vat_rate'])}</td>"
        f"<td>{_e(line['net'])}</td></tr>"
        for line in doc["lines"]
    )
    columns = "".join(f"<th>{_e(c)}</th>" for c in doc["labels"]["columns"])
    refs = "<br>".join(f"{_e(k)} {_e(v)}" for k, v in doc["references"])
    vat = "".join(
        f"<div><span>{_e(k)}</span><span>{_e(v)}</span></div>" for k, v in doc["totals"]["vat_rows"]
    )
    seller = "<br>".join(
        _e(x) for x in [doc["seller"]["name"], *doc["seller"]["lines"], *doc["seller"]["ids"]]
    )
    buyer = "<br>".join(
        _e(x) for x in [doc["buyer"]["name"], *doc["buyer"]["lines"], *doc["buyer"]["ids"]]
    )
    payment = "<br>".join(_e(x) for x in doc["payment_lines"])
    bank = "<br>".join(_e(x) for x in doc["bank_lines"])
    return f"""<!doctype html><html lang="{doc["lang"]}"><head><meta charset="utf-8">
<style>{CSS.replace("ACCENT", accent)}</style></head><body>
<div class="head"><div>{seller}</div><div><h1>{_e(doc["title"])}</h1>
<div class="refs"><b>{_e(doc["number"] or "")}</b><br>{refs}</div></div></div>
<div class="buyer"><small>{_e(doc["labels"]["bill_to"])}</small><br>{buyer}</div>
<table class="lines"><thead><tr>{columns}</tr></thead><tbody>{lines}</tbody></table>
<div class="totals"><div><span>{_e(doc["labels"]["total_net"])}</span>
<span>{_e(doc["totals"]["net"])}</span></div>{vat}
<div class="gross"><span>{_e(doc["labels"]["total_gross"])}</span>
<span>{_e(doc["totals"]["gross"])}</span></div></div>
<div class="block"><b>{_e(doc["labels"]["payment"])}</b><br>{payment}</div>
<div class="block"><b>{_e(doc["labels"]["bank"])}</b><br>{bank}</div>
<div class="block"><b>{_e(doc["labels"]["notes"])}</b><br>{_e(doc["notes"])}</div>
<footer style="font-size:7.5pt;color:#666">{_e(doc["legal_footer"])}</footer>
</body></html>"""
