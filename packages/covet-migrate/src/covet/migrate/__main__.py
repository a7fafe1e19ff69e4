"""``python -m covet.migrate <command> ...``: the same as ``covet migrate <command> ...``."""

from __future__ import annotations

import sys

from covet.migrate._cli import migrate_command

raise SystemExit(migrate_command(sys.argv[1:]))
