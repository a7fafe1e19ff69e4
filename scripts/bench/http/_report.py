"""Turn the wrk samples into the markdown tables the benchmark reports."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

from _endpoints import ENDPOINTS, TYPED
from _wrk import Sample

NAMES = {
    "bare": "bare ASGI",
    "starlette": "Starlette",
    "fastapi": "FastAPI",
    "blacksheep": "BlackSheep",
    "covet": "Covet",
}
LABELS = {endpoint.name: endpoint.label for endpoint in ENDPOINTS}
Results = dict[str, dict[str, list[Sample]]]  # endpoint -> framework -> one sample per round


def geometric_mean(values: Iterable[float]) -> float:
    logs = [math.log(value) for value in values if value > 0]
    return math.exp(sum(logs) / len(logs)) if logs else float("nan")


def medians(results: Results) -> dict[str, dict[str, float]]:
    return {
        endpoint: {
            framework: statistics.median(s.requests_per_second for s in samples)
            for framework, samples in by_framework.items()
            if samples
        }
        for endpoint, by_framework in results.items()
    }


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = [_row(header), _row(["---", *("---:" for _ in header[1:])])]
    lines += [_row(row) for row in rows]
    return lines


def _ratio(value: float | None, base: float | None) -> str:
    if not value or not base:
        return "n/a"
    return f"{value / base:.2f}x"


def tables(results: Results, frameworks: Sequence[str]) -> list[str]:
    table = medians(results)
    endpoints = [e.name for e in ENDPOINTS if e.name in table]
    per_framework = {
        f: geometric_mean(table[e][f] for e in endpoints if f in table[e]) for f in frameworks
    }
    means = {f: m for f, m in per_framework.items() if not math.isnan(m)}
    names = [NAMES[f] for f in frameworks]
    lines = ["### Requests per second (median over rounds)", ""]
    rows = [
        [LABELS[e], *(f"{table[e][f]:,.0f}" if f in table[e] else "n/a" for f in frameworks)]
        for e in endpoints
    ]
    rows.append(
        [
            "**geometric mean**",
            *(f"**{means[f]:,.0f}**" if f in means else "n/a" for f in frameworks),
        ]
    )
    lines += _table(["endpoint", *names], rows)
    for base in ("bare", "starlette"):
        if base not in frameworks:
            continue
        others = [f for f in frameworks if f != base]
        lines += ["", f"### Ratio to {NAMES[base]}", ""]
        rows = [
            [LABELS[e], *(_ratio(table[e].get(f), table[e].get(base)) for f in others)]
            for e in endpoints
        ]
        rows.append(
            [
                "**geometric mean**",
                *(f"**{_ratio(means.get(f), means.get(base))}**" for f in others),
            ]
        )
        lines += _table(["endpoint", *(NAMES[f] for f in others)], rows)
    if "covet" in frameworks and "fastapi" in frameworks:
        typed = [e for e in TYPED if e in table]
        lines += ["", "### Covet vs FastAPI on the typed endpoints (both validate)", ""]
        rows = [[LABELS[e], *_pair(table[e].get("covet"), table[e].get("fastapi"))] for e in typed]
        rows.append(
            [
                "**geometric mean**",
                *_pair(
                    geometric_mean(table[e].get("covet", 0.0) for e in typed),
                    geometric_mean(table[e].get("fastapi", 0.0) for e in typed),
                ),
            ]
        )
        lines += _table(["endpoint", "Covet", "FastAPI", "Covet / FastAPI"], rows)
    lines += ["", *targets(means, table)]
    return lines


def _pair(covet: float | None, fastapi: float | None) -> list[str]:
    show = [f"{v:,.0f}" if v and not math.isnan(v) else "n/a" for v in (covet, fastapi)]
    return [*show, _ratio(covet, fastapi)]


def targets(means: dict[str, float], table: dict[str, dict[str, float]]) -> list[str]:
    if "covet" not in means:
        return ["Covet was not measured in this run, so the issue-2 targets are not evaluated."]
    checks = []
    if "starlette" in means:
        ratio = means["covet"] / means["starlette"]
        checks.append(("geometric mean >= 1.3x Starlette", f"{ratio:.2f}x", ratio >= 1.3))
    if "blacksheep" in means:
        ratio = means["covet"] / means["blacksheep"]
        checks.append(("geometric mean >= BlackSheep", f"{ratio:.2f}x", ratio >= 1.0))
    typed = [e for e in TYPED if "covet" in table.get(e, {}) and "fastapi" in table.get(e, {})]
    if typed:
        ratio = geometric_mean(table[e]["covet"] / table[e]["fastapi"] for e in typed)
        checks.append((">= 3x FastAPI on the typed endpoints", f"{ratio:.2f}x", ratio >= 3.0))
    rows = [[goal, value, "met" if ok else "**not met**"] for goal, value, ok in checks]
    return ["### Issue 2 targets for Covet", "", *_table(["target", "measured", "status"], rows)]


def spread(results: Results, frameworks: Sequence[str]) -> list[str]:
    """(max - min) / median per cell, and any wrk errors, to show how noisy the rounds were."""
    lines = ["### Spread across rounds ((max - min) / median)", ""]
    rows = []
    errors = []
    for endpoint in (e.name for e in ENDPOINTS if e.name in results):
        row = [LABELS[endpoint]]
        for framework in frameworks:
            samples = results[endpoint].get(framework, [])
            values = [s.requests_per_second for s in samples]
            if len(values) < 2:
                row.append("n/a" if not values else "1 round")
            else:
                row.append(f"{(max(values) - min(values)) / statistics.median(values):.0%}")
            errors += [f"{framework}/{endpoint}: {s.errors}" for s in samples if s.errors]
        rows.append(row)
    lines += _table(["endpoint", *(NAMES[f] for f in frameworks)], rows)
    if errors:
        lines += ["", "wrk reported errors (these cells are suspect):", ""]
        lines += [f"- {error}" for error in errors]
    return lines


def latency(results: Results, frameworks: Sequence[str]) -> list[str]:
    lines = ["### Latency p50 / p99 in ms (median over rounds)", ""]
    rows = []
    for endpoint in (e.name for e in ENDPOINTS if e.name in results):
        row = [LABELS[endpoint]]
        for framework in frameworks:
            samples = results[endpoint].get(framework, [])
            if not samples:
                row.append("n/a")
                continue
            p50 = statistics.median(s.p50_ms for s in samples)
            p99 = statistics.median(s.p99_ms for s in samples)
            row.append(f"{p50:.2f} / {p99:.2f}")
        rows.append(row)
    return lines + _table(["endpoint", *(NAMES[f] for f in frameworks)], rows)
