"""Run wrk against one endpoint and read its summary."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from _endpoints import Endpoint

REQUESTS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
TOTAL_RE = re.compile(r"(\d+) requests in ")
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
    #: CPU time (user + system) the server process spent per request: unlike req/s, barely moved
    #: by other processes competing for the cores
    cpu_us_per_request: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(port: int, endpoint: Endpoint, load: Load, server_pid: int) -> Sample:
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
    cpu_before = cpu_seconds(server_pid)
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=load.duration + 30, check=False
    )
    cpu = cpu_seconds(server_pid) - cpu_before
    output = completed.stdout
    found = REQUESTS_RE.search(output)
    total = TOTAL_RE.search(output)
    if completed.returncode != 0 or found is None or total is None or not int(total[1]):
        raise RuntimeError(f"wrk failed ({completed.returncode}): {output}{completed.stderr}")
    errors = []
    if (non_2xx := NON_2XX_RE.search(output)) is not None:
        errors.append(f"{non_2xx[1]} non-2xx")
    if (sockets := SOCKET_RE.search(output)) is not None and any(int(n) for n in sockets.groups()):
        errors.append(sockets[0])
    percentiles = {p: float(v) * UNITS[unit] for p, v, unit in PERCENTILE_RE.findall(output)}
    return Sample(
        float(found[1]),
        percentiles.get("50", 0.0),
        percentiles.get("99", 0.0),
        "; ".join(errors),
        cpu * 1e6 / int(total[1]),
    )


def version() -> str:
    completed = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (completed.stdout or completed.stderr).splitlines()[0].strip()
