"""covet.middleware (under construction: see the project's open issues)."""

from covet.middleware.__about__ import __version__

__all__ = ["__version__"]
