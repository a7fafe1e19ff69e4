"""x"""

from .spec import SpecList

SPECS = SpecList("expressions")
