"""Statistical timing check for covet.auth.authenticate(): does response time reveal accounts?

Times ``authenticate()`` with the production password hasher (Argon2id, OWASP parameters) for an
unknown user, an inactive user and an active user with a wrong password. Each round runs the
three cases back to back in a random order, and every time is divided by its round's mean, so a
change in machine load (other processes on shared cores) cancels out instead of landing on one
case: a paired design. The check passes when the medians of these per-round ratios lie within 10%
of each other; the raw medians are printed beside them. Exits 1 on failure.

Usage: python scripts/auth_timing.py [--samples N] [--tolerance 0.10]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass

from covet.auth import PasswordHasher, authenticate


@dataclass
class User:
    username: str
    password_hash: str
    is_active: bool = True


CASES = ("unknown user", "inactive user", "wrong password")


async def measure(samples: int, seed: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    hasher = PasswordHasher()
    users = {
        "active": User("active", hasher.hash("the right password")),
        "inactive": User("inactive", hasher.hash("the right password"), is_active=False),
    }
    attempts = {
        "unknown user": ("nobody-here", "the right password"),
        "inactive user": ("inactive", "the right password"),
        "wrong password": ("active", "a wrong password!!"),
    }

    async def get_user(name: str) -> User | None:
        return users.get(name)

    async def once(case: str) -> float:
        username, password = attempts[case]
        start = time.perf_counter()
        result = await authenticate(username, password, get_user=get_user, hasher=hasher)
        elapsed = time.perf_counter() - start
        assert result is None, f"{case}: authenticate() let the login through"
        return elapsed

    for case in CASES:  # warm up: the dummy hash, the thread pool, CPU caches
        for _ in range(3):
            await once(case)
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {case: [] for case in CASES}
    ratios: dict[str, list[float]] = {case: [] for case in CASES}
    for _ in range(samples):
        order = list(CASES)
        rng.shuffle(order)
        round_times = {case: await once(case) for case in order}
        mean = statistics.fmean(round_times.values())
        for case, elapsed in round_times.items():
            timings[case].append(elapsed)
            ratios[case].append(elapsed / mean)
    return timings, ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=80, help="samples per case (default 80)")
    parser.add_argument("--tolerance", type=float, default=0.10, help="allowed spread (0.10)")
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()

    started = time.perf_counter()
    timings, ratios = asyncio.run(measure(args.samples, args.seed))
    medians = {case: statistics.median(values) for case, values in timings.items()}
    relative = {case: statistics.median(values) for case, values in ratios.items()}
    print(f"covet.auth timing check: {args.samples} samples per case, Argon2id m=19 MiB t=2 p=1")
    print(
        f"{'case':<16} {'median ms':>10} {'mean ms':>9} {'p10 ms':>8} {'p90 ms':>8}"
        f" {'paired ratio':>13}"
    )
    for case, values in timings.items():
        deciles = statistics.quantiles(values, n=10)
        print(
            f"{case:<16} {medians[case] * 1000:>10.2f} {statistics.fmean(values) * 1000:>9.2f}"
            f" {deciles[0] * 1000:>8.2f} {deciles[-1] * 1000:>8.2f} {relative[case]:>13.3f}"
        )
    raw_spread = max(medians.values()) / min(medians.values()) - 1
    spread = max(relative.values()) / min(relative.values()) - 1
    print(f"largest/smallest raw median: +{raw_spread * 100:.1f}% (for information)")
    verdict = "PASS" if spread <= args.tolerance else "FAIL"
    print(
        f"largest/smallest paired median: +{spread * 100:.1f}% (limit {args.tolerance * 100:.0f}%) "
        f"-> {verdict} in {time.perf_counter() - started:.1f} s"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
