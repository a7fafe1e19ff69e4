# Sourced by scripts/test and scripts/demo: a private tool venv with a pinned hatch, and
# every dependency pinned by requirements/constraints.txt. Needs only python3.11 on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
TOOLS="$ROOT/.tools"
if [ ! -x "$TOOLS/bin/hatch" ] || ! cmp -s requirements/tools.txt "$TOOLS/tools.txt"; then
  "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/tools.txt
  cp requirements/tools.txt "$TOOLS/tools.txt"
fi
export UV_CONSTRAINT="$ROOT/requirements/constraints.txt"
export PIP_CONSTRAINT="$UV_CONSTRAINT"
export HATCH_DATA_DIR="${HATCH_DATA_DIR:-$ROOT/.hatch}"
HATCH="$TOOLS/bin/hatch"
# Editable installs keep the entry points (covet.commands, pytest11) and metadata of the
# pyproject.toml they were made from; hatch re-syncs only when dependencies change. When any
# distribution's pyproject.toml changes, rebuild the environments so a pull never leaves a stale
# entry point behind.
PROJECTS_SUM=$(cat packages/*/pyproject.toml hatch.toml | cksum)
if [ -d "$HATCH_DATA_DIR/env" ] && [ "$(cat "$HATCH_DATA_DIR/projects.sum" 2>/dev/null)" != "$PROJECTS_SUM" ]; then
  rm -rf "$HATCH_DATA_DIR/env"
fi
mkdir -p "$HATCH_DATA_DIR"
echo "$PROJECTS_SUM" > "$HATCH_DATA_DIR/projects.sum"
