"""The report on a terminal: rich tables drawn from the same dict that `--json` writes."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .checks import Report
from .fmt import fmt, pct

__all__ = ["print_report", "report_renderable"]

_cell = partial(fmt, style="fixed")  # table columns line up: a fixed number of decimals


def report_renderable(report: Report) -> Group:
    d = report.data
    s = d["samples"]
    head = Text.assemble(
        ("spec ", "dim"), (d["spec"]["name"], "bold"), ("  samples ", "dim"), (str(s["count"]), "bold"),
    )
    if s["good"] or s["bad"]:
        head.append(f"  ({s['good']} good / {s['bad']} bad)", "dim")
    groups = d["groups"]
    if groups.get("multi"):
        head.append(f"  groups {groups['multi']}", "dim")

    table = Table(title="Rules", title_justify="left", expand=False, header_style="bold")
    for col, justify in [("rule", "left"), ("kind", "left"), ("role", "left"), ("weight", "right"),
                         ("mean", "right"), ("std", "right"), ("min", "right"), ("max", "right"),
                         ("AUC", "right"), ("0-spread", "right"), ("err", "right"), ("None", "right"),
                         ("µs/call", "right")]:
        wide = max([len(r["name"]) for r in d["rules"]] + [14]) if col == "rule" else None
        table.add_column(col, justify=justify, min_width=wide, no_wrap=col == "rule")  # type: ignore[arg-type]
    for r in d["rules"]:
        zs = r.get("zero_spread_share")
        table.add_row(
            Text(r["name"], style="yellow" if r["constant"] else ""),
            r["kind"], r["role"] + (f" (gated by {r['gate']})" if r.get("gate") else ""), _cell(r["weight"], 2), _cell(r["mean"]), _cell(r["std"]),
            _cell(r["min"]), _cell(r["max"]), _cell(r.get("auc")),
            pct(zs),
            Text(str(r["errors"]), style="bold red" if r["errors"] else ""),
            str(r["nones"]), f"{r['us_per_call']:.1f}",
        )
    t = d["total"]
    table.add_section()
    table.add_row(
        Text("weighted total", style="bold"), "", "", "", _cell(t["mean"]), _cell(t["std"]), _cell(t["min"]),
        _cell(t["max"]), _cell(t.get("auc")),
        pct(groups.get("zero_spread_share")),
        "", "", "",
    )
    parts: list[Any] = [head, table]

    verifiers = [r for r in d["rules"] if "confusion" in r]
    if verifiers:
        vt = Table(title="Verifiers against labels", title_justify="left", header_style="bold")
        for col in ("verifier", "accuracy", "TP", "FP", "TN", "FN", "misclassified"):
            vt.add_column(col)
        for r in verifiers:
            c = r["confusion"]
            wrong, count = r["misclassified"], r.get("misclassified_count", len(r["misclassified"]))
            vt.add_row(r["name"], _cell(r["accuracy"]), str(c["tp"]), str(c["fp"]), str(c["tn"]), str(c["fn"]),
                       ", ".join(wrong[:6]) + (f" … +{count - 6}" if count > 6 else ""))
        parts.append(vt)
    wrong = t.get("misclassified") or []
    count = t.get("misclassified_count", len(wrong))
    if wrong:
        parts.append(Text(
            f"Misclassified by the total (cut {_cell(t.get('threshold'))}): "
            + ", ".join(wrong[:10]) + (f" … +{count - 10}" if count > 10 else ""),
            style="dim",
        ))
    for extra in d.get("sections", []):  # later checks (robustness, probes …) add titled lines here
        parts.append(Text(extra["title"], style="bold"))
        for line in extra["lines"]:
            parts.append(Text("  " + line))
    if report.checks:
        parts.append(Text("Checks", style="bold"))
        for c in report.checks:
            mark, style = ("✔", "green") if c.ok else (("✘", "bold red") if c.severity == "error" else ("!", "yellow"))
            parts.append(Text.assemble((f"  {mark} ", style), c.message))
    verdict = Text("PASSED" if report.passed else "FAILED", style="bold green" if report.passed else "bold red")
    parts.append(verdict)
    return Group(*parts)


def print_report(report: Report, console: Console | None = None) -> None:
    (console or Console()).print(report_renderable(report))
