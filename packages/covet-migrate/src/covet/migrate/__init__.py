"""covet.migrate (under construction: see the project's open issues)."""

from covet.migrate.__about__ import __version__

__all__ = ["__version__"]
