"""The ``covet`` command.

Every installed CovetPy distribution contributes sub-commands through the ``covet.commands``
entry-point group. An entry point names a callable ``command(argv: list[str]) -> int``; its
docstring's first line is the summary shown by ``covet --help``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib.metadata import EntryPoint, entry_points

from covet.__about__ import __version__

ENTRY_POINT_GROUP = "covet.commands"

Command = Callable[[list[str]], int]


def _commands() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return dict(sorted(found.items()))


def _summary(ep: EntryPoint) -> str:
    try:
        doc = ep.load().__doc__ or ""
    except Exception as exc:  # a broken plug-in must not hide the others
        return f"(failed to load: {exc})"
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _usage(commands: dict[str, EntryPoint]) -> str:
    lines = [f"usage: covet <command> [options]    (covet {__version__})", "", "commands:"]
    if not commands:
        lines.append("  (none: install covet-http, covet-migrate, ... to get commands)")
    width = max((len(name) for name in commands), default=0)
    for name, ep in commands.items():
        lines.append(f"  {name.ljust(width)}  {_summary(ep)}")
    lines.append("")
    lines.append("Run 'covet <command> --help' for a command's options.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = _commands()
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage(commands))
        return 0
    if args[0] in {"-V", "--version"}:
        print(f"covet {__version__}")
        return 0
    name, rest = args[0], args[1:]
    ep = commands.get(name)
    if ep is None:
        print(f"covet: unknown command {name!r}\n", file=sys.stderr)
        print(_usage(commands), file=sys.stderr)
        return 2
    command: Command = ep.load()
    return int(command(rest) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
