"""Turn the wrk samples into the markdown tables the benchmark reports."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence

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
Table = dict[str, dict[str, float]]  # endpoint -> framework -> a value where higher is better


def geometric_mean(values: Iterable[float]) -> float:
    logs = [math.log(value) for value in values if value > 0]
    return math.exp(sum(logs) / len(logs)) if logs else float("nan")


def requests_per_second(results: Results) -> Table:
    return _median_table(results, lambda s: s.requests_per_second)


def per_cpu_second(results: Results) -> Table:
    """Requests per second of server CPU: 1e6 / the median CPU microseconds per request."""
    cpu = _median_table(results, lambda s: s.cpu_us_per_request)
    return {e: {f: 1e6 / v for f, v in row.items() if v > 0} for e, row in cpu.items()}


def _median_table(results: Results, value: Callable[[Sample], float]) -> Table:
    return {
        endpoint: {
            framework: statistics.median(value(s) for s in samples)
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
    if not value or not base or math.isnan(value) or math.isnan(base):
        return "n/a"
    return f"{value / base:.2f}x"


def _means(table: Table, frameworks: Sequence[str]) -> dict[str, float]:
    means = {f: geometric_mean(row[f] for row in table.values() if f in row) for f in frameworks}
    return {f: m for f, m in means.items() if not math.isnan(m)}


def tables(results: Results, frameworks: Sequence[str]) -> list[str]:
    table = requests_per_second(results)
    endpoints = [e.name for e in ENDPOINTS if e.name in table]
    means = _means(table, frameworks)
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
        others = [f for f in frameworks if f != base]
        if base not in frameworks or not others:
            continue
        lines += ["", f"### Ratio to {NAMES[base]} (req/s)", ""]
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
        lines += ["", "### Covet vs FastAPI on the typed endpoints (both validate; req/s)", ""]
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
    efficiency = per_cpu_second(results)
    lines += ["", *cpu_table(efficiency, frameworks)]
    lines += ["", *targets(table, efficiency, frameworks)]
    return lines


def cpu_table(efficiency: Table, frameworks: Sequence[str]) -> list[str]:
    """Server CPU microseconds per request: the framework's cost, whatever else loads the cores."""
    endpoints = [e.name for e in ENDPOINTS if e.name in efficiency]
    means = _means(efficiency, frameworks)
    lines = ["### Server CPU time per request (µs, median over rounds; lower is better)", ""]
    rows = [
        [
            LABELS[e],
            *(f"{1e6 / efficiency[e][f]:.1f}" if f in efficiency[e] else "n/a" for f in frameworks),
        ]
        for e in endpoints
    ]
    rows.append(
        [
            "**geometric mean**",
            *(f"**{1e6 / means[f]:.1f}**" if f in means else "n/a" for f in frameworks),
        ]
    )
    for base in ("bare", "starlette"):
        if base in means:
            rows.append(
                [
                    f"efficiency vs {NAMES[base]} (geo. mean)",
                    *(_ratio(means.get(f), means[base]) for f in frameworks),
                ]
            )
    return lines + _table(["endpoint", *(NAMES[f] for f in frameworks)], rows)


def _pair(covet: float | None, fastapi: float | None) -> list[str]:
    show = [f"{v:,.0f}" if v and not math.isnan(v) else "n/a" for v in (covet, fastapi)]
    return [*show, _ratio(covet, fastapi)]


def _checks(table: Table, frameworks: Sequence[str]) -> dict[str, float]:
    means = _means(table, frameworks)
    found: dict[str, float] = {}
    if "covet" not in means:
        return found
    if "starlette" in means:
        found["starlette"] = means["covet"] / means["starlette"]
    if "blacksheep" in means:
        found["blacksheep"] = means["covet"] / means["blacksheep"]
    typed = [e for e in TYPED if "covet" in table.get(e, {}) and "fastapi" in table.get(e, {})]
    if typed:
        found["fastapi"] = geometric_mean(table[e]["covet"] / table[e]["fastapi"] for e in typed)
    return found


GOALS = {
    "starlette": ("geometric mean >= 1.3x Starlette", 1.3),
    "blacksheep": ("geometric mean >= BlackSheep", 1.0),
    "fastapi": (">= 3x FastAPI on the typed endpoints", 3.0),
}


def targets(table: Table, efficiency: Table, frameworks: Sequence[str]) -> list[str]:
    by_rps, by_cpu = _checks(table, frameworks), _checks(efficiency, frameworks)
    if not by_rps:
        return ["Covet was not measured in this run, so the issue-2 targets are not evaluated."]

    def cell(found: dict[str, float], key: str) -> str:
        if key not in found:
            return "n/a"
        ok = found[key] >= GOALS[key][1]
        return f"{found[key]:.2f}x " + ("met" if ok else "**not met**")

    rows = [[goal, cell(by_rps, key), cell(by_cpu, key)] for key, (goal, _) in GOALS.items()]
    header = ["target", "by req/s", "by server CPU per request"]
    return ["### Issue 2 targets for Covet", "", *_table(header, rows)]


def spread(results: Results, frameworks: Sequence[str]) -> list[str]:
    """(max - min) / median per cell, and any wrk errors, to show how noisy the rounds were."""
    lines = ["### Spread across rounds ((max - min) / median): req/s, server CPU per request", ""]
    rows = []
    errors = []
    for endpoint in (e.name for e in ENDPOINTS if e.name in results):
        row = [LABELS[endpoint]]
        for framework in frameworks:
            samples = results[endpoint].get(framework, [])
            if len(samples) < 2:
                row.append("n/a" if not samples else "1 round")
            else:
                rps = _spread([s.requests_per_second for s in samples])
                cpu = _spread([s.cpu_us_per_request for s in samples])
                row.append(f"{rps:.0%}, {cpu:.0%}")
            errors += [f"{framework}/{endpoint}: {s.errors}" for s in samples if s.errors]
        rows.append(row)
    lines += _table(["endpoint", *(NAMES[f] for f in frameworks)], rows)
    if errors:
        lines += ["", "wrk reported errors (these cells are suspect):", ""]
        lines += [f"- {error}" for error in errors]
    return lines


def _spread(values: list[float]) -> float:
    middle = statistics.median(values)
    return (max(values) - min(values)) / middle if middle else float("nan")


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
