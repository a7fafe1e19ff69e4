"""covet.orm (under construction: see the project's open issues)."""

from covet.orm.__about__ import __version__

__all__ = ["__version__"]
