"""``python -m covet.http {run,routes,openapi} module:app``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from covet.http._cli import openapi_command, routes_command, run_command

COMMANDS = {"run": run_command, "routes": routes_command, "openapi": openapi_command}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        print(
            "usage: python -m covet.http {run,routes,openapi} module:app [options]", file=sys.stderr
        )
        for name, command in COMMANDS.items():
            print(f"  {name:7} {(command.__doc__ or '').splitlines()[0]}", file=sys.stderr)
        return 0 if args and args[0] in {"-h", "--help"} else 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
