"""Run wrk against one endpoint and read its summary."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from _endpoints import Endpoint

REQUESTS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
PERCENTILE_RE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    threads: int
    connections: int
    duration: int  # whole seconds: wrk accepts no fractions


@dataclass(frozen=True)
class Sample:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str  # empty when wrk saw only 2xx answers and no socket errors


def run(port: int, endpoint: Endpoint, load: Load) -> Sample:
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.duration}s",
        "--timeout",
        "5s",
        "--latency",
    ]
    if endpoint.lua is not None:
        command += ["-s", str(endpoint.lua)]
    command.append(f"http://127.0.0.1:{port}{endpoint.path}")
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=load.duration + 30, check=False
    )
    output = completed.stdout
    found = REQUESTS_RE.search(output)
    if completed.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {output}{completed.stderr}")
    errors = []
    if (non_2xx := NON_2XX_RE.search(output)) is not None:
        errors.append(f"{non_2xx[1]} non-2xx")
    if (sockets := SOCKET_RE.search(output)) is not None and any(int(n) for n in sockets.groups()):
        errors.append(sockets[0])
    percentiles = {p: float(v) * UNITS[unit] for p, v, unit in PERCENTILE_RE.findall(output)}
    return Sample(
        float(found[1]), percentiles.get("50", 0.0), percentiles.get("99", 0.0), "; ".join(errors)
    )


def version() -> str:
    completed = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (completed.stdout or completed.stderr).splitlines()[0].strip()
