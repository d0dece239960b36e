"""``<out>/index.html``: a static, offline page of every case, most probable first.

One self-contained file (inline CSS, no script, no external resource) that opens from disk:
cases sorted by the probability of the first class, descending (ties by case id; cases without a
value last), each with its overlay (relative link ``overlays/<case>.png``), its classification.csv
row, and, when ``segcls3d evaluate --html`` annotates it, the truth and TP/FP/TN/FN per class at
evaluate's operating point. All text is escaped. Each case row carries ``data-case`` and
``data-probability`` attributes for scripts and tests.
"""
from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union
from urllib.parse import quote

from segcls3d.io import atomic_path
from segcls3d.predict.overlays import OVERLAY_DIRNAME, overlay_path
from segcls3d.predict.row_probabilities import class_label, class_probability

if TYPE_CHECKING:
    from segcls3d.evaluate.case_outcomes import CaseOutcome

PathLike = Union[str, Path]
INDEX_FILENAME = "index.html"
CASE_ID = "case_id"
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table.cases{border-collapse:collapse;width:100%}
table.cases>tbody>tr>td,table.cases>thead>tr>th{
border-bottom:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}
table.csv td{padding:0 .6em 0 0;font-size:.85em;font-family:monospace}
img{max-width:320px;height:auto;border:1px solid #ddd}
.FP,.FN{background:#fde2e2;font-weight:bold}.TP,.TN{background:#e3f4e3}
.missing{color:#999}
"""


def sort_rows(rows: Sequence[Mapping[str, Any]], first_class: Optional[str]) -> list[Mapping[str, Any]]:
    """Rows by the probability of ``first_class``, descending; ties by case id; rows without a value last.

    Example:
        >>> rows = [{"case_id": "a", "x_probability": 0.2}, {"case_id": "b", "x_probability": ""},
        ...         {"case_id": "c", "x_probability": 0.9}]
        >>> [r["case_id"] for r in sort_rows(rows, "x")]
        ['c', 'a', 'b']
    """
    def key(row: Mapping[str, Any]) -> tuple[int, float, str]:
        p = class_probability(row, first_class) if first_class is not None else math.nan
        return (1, 0.0, str(row.get(CASE_ID))) if math.isnan(p) else (0, -p, str(row.get(CASE_ID)))

    return sorted(rows, key=key)


def _text(value: Any) -> str:
    """A cell as escaped text: floats with 4 significant digits, None/NaN empty, anything else as is."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else html.escape(f"{value:.4g}")
    return html.escape(str(value))


def _probabilities(row: Mapping[str, Any], classes: Sequence[str]) -> str:
    lines = []
    for name in classes:
        p, label = class_probability(row, name), class_label(row, name)
        value = "n/a" if math.isnan(p) else f"{p:.3f}"
        verdict = {1: " (positive)", 0: " (negative)"}.get(label, "")
        lines.append(f"{html.escape(name)}: {value}{verdict}")
    return "<br>".join(lines)


def _overlay_cell(case_id: str, folder: Path, failure: Optional[str]) -> str:
    if failure is not None:
        return f'<span class="missing">overlay failed: {html.escape(failure)}</span>'
    if not overlay_path(folder, case_id).is_file():
        return '<span class="missing">no overlay</span>'
    src = html.escape(f"{OVERLAY_DIRNAME}/{quote(case_id, safe='')}.png", quote=True)
    alt = html.escape(f"overlay of case {case_id}", quote=True)
    return f'<a href="{src}"><img src="{src}" alt="{alt}" loading="lazy"></a>'


def _csv_cell(row: Mapping[str, Any]) -> str:
    cells = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{_text(v)}</td></tr>" for k, v in row.items())
    return f'<details><summary>row</summary><table class="csv">{cells}</table></details>'


def _outcome_cell(outcomes: Mapping[str, "CaseOutcome"], classes: Sequence[str]) -> str:
    lines = []
    for name in classes:
        o = outcomes.get(name)
        if o is None:
            continue
        truth = "unknown" if o.truth is None else str(o.truth)
        kind = o.kind or "n/a"
        lines.append(f'<span class="{html.escape(kind, quote=True)}">{html.escape(name)}: truth {truth}, '
                     f'{html.escape(kind)}</span>')
    return "<br>".join(lines)


def _thresholds(outcomes: Mapping[str, Mapping[str, "CaseOutcome"]], classes: Sequence[str]) -> str:
    found: dict[str, str] = {}
    for per_class in outcomes.values():
        for name, o in per_class.items():
            if name not in found:
                found[name] = "undefined" if o.threshold is None else f"{o.source} score &ge; {o.threshold:.4g}"
    return "; ".join(f"{html.escape(n)}: {found[n]}" for n in classes if n in found)


def index_html(rows: Sequence[Mapping[str, Any]], classes: Sequence[str], folder: PathLike,
               outcomes: Optional[Mapping[str, Mapping[str, "CaseOutcome"]]] = None,
               overlay_failures: Optional[Mapping[str, str]] = None, title: str = "segcls3d predictions") -> str:
    """The page as text; overlays are looked up under ``folder/overlays`` (the page's own folder)."""
    folder = Path(folder)
    first = classes[0] if classes else None
    failures = overlay_failures or {}
    ordered = sort_rows(rows, first)
    head = ["#", "case", "overlay", "probability (label)", "classification.csv"]
    note = (f"{len(ordered)} case(s), sorted by the probability of "
            f"{html.escape(first) if first else 'the first class'} (descending; cases without one last).")
    if outcomes is not None:
        head.append("truth / outcome")
        note += (" Outcome per class at the Youden operating point chosen by segcls3d evaluate ("
                 f"{_thresholds(outcomes, classes)}); FP/FN are highlighted.")
    body = []
    for rank, row in enumerate(ordered, start=1):
        case = str(row.get(CASE_ID, ""))
        p = class_probability(row, first) if first is not None else math.nan
        cells = [str(rank), html.escape(case), _overlay_cell(case, folder, failures.get(case)),
                 _probabilities(row, classes), _csv_cell(row)]
        if outcomes is not None:
            cells.append(_outcome_cell(outcomes.get(case, {}), classes))
        attrs = f'data-case="{html.escape(case, quote=True)}" data-probability="{"" if math.isnan(p) else repr(p)}"'
        body.append(f"<tr {attrs}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>", f"<p>{note}</p>",
        '<table class="cases"><thead><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>",
        *body, "</tbody></table></body></html>", ""])


def write_index_page(path: PathLike, rows: Sequence[Mapping[str, Any]], classes: Sequence[str],
                     outcomes: Optional[Mapping[str, Mapping[str, "CaseOutcome"]]] = None,
                     overlay_failures: Optional[Mapping[str, str]] = None) -> Path:
    """Write :func:`index_html` to ``path`` (UTF-8, atomically; overlays looked up next to it); return the path."""
    path = Path(path)
    text = index_html(rows, classes, path.parent, outcomes, overlay_failures)
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path
