from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "auth_app.py"


def test_auth_example_flow_runs_twice(tmp_path: Path) -> None:
    for _ in range(2):  # the second run finds its users already created
        done = subprocess.run(
            [sys.executable, str(EXAMPLE), "--check"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "login, scopes, roles, refresh and logout all behave" in done.stdout
    assert (tmp_path / "covet-auth-example.db").exists()
