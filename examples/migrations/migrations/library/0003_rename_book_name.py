"""library: Rename field name on Book to title"""

from covet.migrate import ops

dependencies = [("library", "0002_add_isbn")]

operations = [
    ops.RenameField("Book", "name", "title"),
]
