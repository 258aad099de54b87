"""The report as one self-contained HTML page: inline CSS and one inline script, nothing else.

* **Escaping.** Every value from the catalog or the live results reaches the page through
  `_e` (`html.escape` with quotes, for text and double-quoted attributes alike). Links are
  only the http(s) repository URLs `rows.repository_link` rebuilt; anything else is text.
* **The data for the script** is a `<script type="application/json">` block (never run) whose
  `<`, `>`, `&` and U+2028/U+2029 are written as JSON escapes, so no value can close the block.
* **Content-Security-Policy** (a meta tag): `default-src 'none'`, inline styles, and
  `script-src` the SHA-256 of the one inline script, computed here: an injected script or
  event handler would not run, and no request (image, font, fetch) can leave the page.
* **Without JavaScript** the page is the whole table, server-rendered; the script only hides
  rows (filters by lifecycle, owner and system) and reorders them (sorting by any column),
  which works from file://.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from scaffolder.report.rows import SEVERITIES, Report, Row

NOT_GATHERED = "not gathered"
_LIFECYCLE_ORDER = ("production", "experimental", "deprecated")
#: (key, heading) of the table's columns, in order; every one sorts.
COLUMNS = (
    ("name", "Name"),
    ("owner", "Owner"),
    ("system", "System"),
    ("lifecycle", "Lifecycle"),
    ("template", "Template"),
    ("baseline", "Baseline"),
    ("audit", "Audit"),
    *((s, s.capitalize()) for s in SEVERITIES),
    ("links", "Repository"),
)
#: Column widths (percent), so the browser lays a sorted table of thousands of rows out fast
#: (a fixed table layout need not measure every cell).
WIDTHS = (14, 11, 8, 7, 9, 7, 11, 5.5, 5.5, 5.5, 5.5, 11)
FILTERS = ("lifecycle", "owner", "system")

_STYLE = """
:root{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#fff}
body{margin:1.5rem;font-size:14px}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1rem;margin:0 0 .5rem}
.meta,.hint{color:#59636e}
#summary{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.card{border:1px solid #d1d9e0;border-radius:6px;padding:.75rem 1rem}
table{border-collapse:collapse}
.card td,.card th{padding:.15rem .6rem;text-align:right}
.card th:first-child{text-align:left}
#filters{display:flex;gap:1rem;align-items:center;margin:1rem 0;flex-wrap:wrap}
#components{width:100%;table-layout:fixed}
#components th,#components td{border-bottom:1px solid #d1d9e0;padding:.35rem .5rem;
text-align:left;vertical-align:top;overflow-wrap:anywhere}
#components th{overflow-wrap:normal}
#components th button{font:inherit;font-weight:600;border:0;background:none;cursor:pointer;
padding:0}
#components th[aria-sort=ascending] button::after{content:" \\25B2"}
#components th[aria-sort=descending] button::after{content:" \\25BC"}
#components td.num{text-align:right;font-variant-numeric:tabular-nums}
.desc{color:#59636e;font-size:.9em;max-width:32rem;overflow-wrap:anywhere}
.ng{color:#8c959f;font-style:italic}
.bad{color:#cf222e;font-weight:600}
.ok{color:#1a7f37}
.partial{color:#9a6700;cursor:help}
tr[hidden]{display:none}
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var table = document.getElementById("components");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var shown = document.getElementById("shown");
  var filters = {};
  data.filters.forEach(function (key) {
    filters[key] = document.getElementById("filter-" + key);
    filters[key].addEventListener("change", apply);
  });
  function record(tr) { return data.rows[Number(tr.getAttribute("data-i"))]; }
  function apply() {
    var count = 0;
    rows.forEach(function (tr) {
      var r = record(tr);
      var keep = data.filters.every(function (key) {
        var wanted = filters[key].value;
        return wanted === "" || r[key] === wanted;
      });
      if (tr.hidden === keep) { tr.hidden = !keep; }
      if (keep) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " components shown";
  }
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return collator.compare(String(a), String(b));
  }
  var current = {column: -1, direction: 1};
  function sortBy(column, th) {
    current.direction = current.column === column ? -current.direction : 1;
    current.column = column;
    var ordered = rows.slice().sort(function (x, y) {
      var a = record(x).sort[column], b = record(y).sort[column];
      var order;
      if (a === null || b === null) {
        order = a === b ? 0 : (a === null ? 1 : -1);
      } else {
        order = current.direction * compare(a, b);
      }
      return order || Number(x.getAttribute("data-i")) - Number(y.getAttribute("data-i"));
    });
    var fragment = document.createDocumentFragment();
    ordered.forEach(function (tr) { fragment.appendChild(tr); });
    body.appendChild(fragment);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", current.direction > 0 ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
    th.querySelector("button").addEventListener("click", function () { sortBy(column, th); });
  });
  apply();
}());
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def script_hash(script: str = _SCRIPT) -> str:
    """The CSP source of an inline script: `'sha256-...'` of its exact text."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy() -> str:
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_hash()}; "
        "base-uri 'none'; form-action 'none'"
    )


def json_for_script(data: object) -> str:
    """JSON that is safe inside a `<script type="application/json">` block."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def lifecycle_order(values: Iterable[str]) -> list[str]:
    """Production first, then experimental and deprecated, then the rest by name."""
    known = [v for v in _LIFECYCLE_ORDER if v in values]
    return known + sorted(set(values) - set(known))


# -- cells -----------------------------------------------------------------------------------
def _not_gathered() -> str:
    return f'<span class="ng">{NOT_GATHERED}</span>'


def _versions(row: Row) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """(cell, sort value) of the template and baseline columns."""
    if row.versions_error:
        cell = f'<span class="bad" title="{_e(row.versions_error)}">unreadable</span>'
        return (cell, None), (cell, None)
    if row.no_answers:
        title = "its folder holds no .copier-answers.yml: not made by scaffolder"
        cell = f'<span class="ng" title="{_e(title)}">no answers</span>'
        return (cell, None), (cell, None)
    if row.template is None and row.template_version is None:
        return (_not_gathered(), None), (_not_gathered(), None)
    template = f"{row.template or 'template'} {row.template_version or 'unrecorded'}"
    if row.has_baseline is False:
        baseline: tuple[str, Any] = ('<span class="ng">none</span>', None)
    else:
        version = row.baseline_version or "unrecorded"
        baseline = (_e(version), version)
    return (_e(template), template), baseline


def _audit(row: Row) -> tuple[str, Any]:
    audit = row.audit
    if audit is None:
        return _not_gathered(), None
    failed = [c for c in audit.checks if c.status == "failed"]
    unavailable = audit.count("unavailable")
    if audit.status == "failed":
        return f'<span class="bad">failed</span>: {_e(audit.reason or "")}', "failed"
    if failed:
        names = ", ".join(c.name for c in failed)
        fixes = "; ".join(f"{c.name}: {c.fix or c.reason or ''}" for c in failed)
        cell = f'<span class="bad" title="{_e(fixes)}">{len(failed)} failed</span>: {_e(names)}'
        return cell, f"finding {len(failed):04d}"
    cell = f'<span class="ok">passed</span> ({audit.count("passed")} checks'
    cell += f", {unavailable} unavailable)" if unavailable else ")"
    return cell, "ok"


def _alerts(row: Row) -> list[tuple[str, Any]]:
    alerts = row.alerts
    if alerts is None:
        return [(_not_gathered(), None)] * len(SEVERITIES)
    counts = alerts.open_by_severity()
    not_on = alerts.not_on()
    if counts is None:
        if alerts.status == "failed":
            cell = f'<span class="bad" title="{_e(alerts.reason or "")}">failed</span>'
        else:
            states = sorted(set(not_on.values())) or ["none"]
            title = "; ".join(f"{k}: {v}" for k, v in not_on.items())
            cell = f'<span class="ng" title="{_e(title)}">{_e("/".join(states))}</span>'
        return [(cell, None)] * len(SEVERITIES)
    mark = ""
    if not_on:
        title = "not counted: " + "; ".join(f"{k} {v}" for k, v in not_on.items())
        mark = f' <span class="partial" title="{_e(title)}">*</span>'
    return [(f"{counts[s]}{mark}", counts[s]) for s in SEVERITIES]


def _links(row: Row) -> tuple[str, Any]:
    link = row.repository_link
    if link is None:
        return (_e(row.repository) if row.repository else "", row.repository or None)
    security = row.security_link
    cell = (
        f'<a href="{_e(link)}" rel="noopener noreferrer">{_e(link.split("://", 1)[1])}</a>'
        f' · <a href="{_e(security)}" rel="noopener noreferrer">security</a>'
    )
    return cell, link


def _row(index: int, row: Row) -> tuple[str, dict[str, Any]]:
    name = f"{_e(row.name)}"
    if row.description:
        name += f'<div class="desc">{_e(row.description)}</div>'
    template, baseline = _versions(row)
    cells: list[tuple[str, Any]] = [
        (name, row.name),
        (_e(row.owner), row.owner or None),
        (_e(row.system), row.system or None),
        (_e(row.lifecycle), row.lifecycle or None),
        template,
        baseline,
        _audit(row),
        *_alerts(row),
        _links(row),
    ]
    numeric = {SEVERITIES.index(s) + 7 for s in SEVERITIES}
    tds = "".join(
        f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
        for i, (c, _) in enumerate(cells)
    )
    record = {
        "lifecycle": row.lifecycle,
        "owner": row.owner,
        "system": row.system,
        "sort": [s for _, s in cells],
    }
    return f'<tr data-i="{index}" data-ref="{_e(row.ref)}">{tds}</tr>', record


# -- the page --------------------------------------------------------------------------------
def _lifecycles(report: Report) -> str:
    counts = Counter(r.lifecycle for r in report.rows)
    cells = "".join(
        f'<tr><th>{_e(k)}</th><td data-lifecycle="{_e(k)}">{counts[k]}</td></tr>'
        for k in lifecycle_order(counts)
    )
    total = f'<tr><th>all</th><td data-lifecycle="">{len(report.rows)}</td></tr>'
    head = '<div class="card" id="by-lifecycle"><h2>Components by lifecycle</h2>'
    return f"{head}<table>{cells}{total}</table></div>"


def _open_alerts(report: Report) -> str:
    head = '<div class="card" id="by-severity"><h2>Open alerts by severity</h2>'
    if not report.alerts_gathered:
        hint = "alerts were not gathered: <code>scaffolder report --html FILE --live</code>"
        return (
            f'{head}<p class="ng" data-total="">{NOT_GATHERED}</p><p class="hint">{hint}</p></div>'
        )
    by_lifecycle: dict[str, Counter[str]] = {}
    unknown = 0
    for row in report.rows:
        counts = row.alerts.open_by_severity() if row.alerts else None
        if counts is None:
            unknown += 1
            continue
        by_lifecycle.setdefault(row.lifecycle, Counter()).update(counts)
    total: Counter[str] = Counter()
    for counts in by_lifecycle.values():
        total.update(counts)
    heading = "".join(f"<th>{s}</th>" for s in SEVERITIES)
    lines = [
        f"<tr><th>{_e(k)}</th>" + "".join(f"<td>{by_lifecycle[k][s]}</td>" for s in SEVERITIES)
        for k in lifecycle_order(by_lifecycle)
    ]
    lines.append(
        '<tr id="severity-total"><th>all</th>'
        + "".join(f'<td data-severity="{s}">{total[s]}</td>' for s in SEVERITIES)
        + "</tr>"
    )
    note = ""
    if unknown:
        why = "a feature off, unavailable or unreadable, or not gathered"
        note = f'<p class="hint">{unknown} components without counts ({why})</p>'
    return f"{head}<table><tr><th></th>{heading}</tr>{''.join(lines)}</table>{note}</div>"


def _audits(report: Report) -> str:
    head = '<div class="card" id="audit-summary"><h2>Live audit</h2>'
    if not report.audit_gathered:
        hint = "the live audit was not run: <code>scaffolder report --html FILE --live</code>"
        return f'{head}<p class="ng">{NOT_GATHERED}</p><p class="hint">{hint}</p></div>'
    counts = Counter(r.audit.status if r.audit else NOT_GATHERED for r in report.rows)
    labels = (("ok", "passed"), ("finding", "failed checks"), ("failed", "could not audit"))
    lines = "".join(f"<tr><th>{label}</th><td>{counts[k]}</td></tr>" for k, label in labels)
    if counts[NOT_GATHERED]:
        lines += f"<tr><th>{NOT_GATHERED}</th><td>{counts[NOT_GATHERED]}</td></tr>"
    return f"{head}<table>{lines}</table></div>"


def _select(key: str, values: Sequence[str]) -> str:
    options = "".join(f'<option value="{_e(v)}">{_e(v) or "(none)"}</option>' for v in values)
    return (
        f'<label>{key.capitalize()} <select id="filter-{key}">'
        f'<option value="">all</option>{options}</select></label>'
    )


def _unreadable(report: Report) -> str:
    if not report.unreadable:
        return ""
    items = "".join(
        f"<li><code>{_e(target)}</code>: {_e(reason)}</li>" for target, reason in report.unreadable
    )
    head = '<section id="unreadable"><h2>Catalog targets that could not be read</h2>'
    return f"{head}<ul>{items}</ul></section>"


def render(report: Report, *, generated: str) -> str:
    """The page for `report`; `generated` is the time it says it was written."""
    rendered = [_row(i, r) for i, r in enumerate(report.rows)]
    values = {
        "lifecycle": lifecycle_order({r.lifecycle for r in report.rows}),
        "owner": sorted({r.owner for r in report.rows}),
        "system": sorted({r.system for r in report.rows}),
    }
    data = {
        "filters": list(FILTERS),
        "columns": [key for key, _ in COLUMNS],
        "rows": [record for _, record in rendered],
    }
    heads = "".join(
        f'<th scope="col" data-column="{key}"><button type="button">{label}</button></th>'
        for key, label in COLUMNS
    )
    notice = ""
    if not (report.alerts_gathered and report.audit_gathered):
        notice = (
            '<p class="hint" id="not-gathered">Columns showing <em>not gathered</em> were not '
            "read for this page: <code>scaffolder report --html FILE --live</code> reads the "
            "alerts and the live audit from GitHub.</p>"
        )
    count = len(report.rows)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(content_security_policy())}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Catalog report: {_e(report.catalog)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>Catalog report</h1>
<p class="meta">{count} components selected of {report.total} entities in
<code>{_e(report.catalog)}</code>; written {_e(generated)} by scaffolder.</p>
{notice}
</header>
<section id="summary">
{_lifecycles(report)}
{_open_alerts(report)}
{_audits(report)}
</section>
<section id="filters">
{"".join(_select(k, values[k]) for k in FILTERS)}
<span id="shown" aria-live="polite">{count} of {count} components shown</span>
</section>
<table id="components">
<colgroup>{"".join(f'<col style="width:{w}%">' for w in WIDTHS)}</colgroup>
<thead><tr>{heads}</tr></thead>
<tbody>
{"".join(tr for tr, _ in rendered)}
</tbody>
</table>
{_unreadable(report)}
<script type="application/json" id="report-data">{json_for_script(data)}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""
