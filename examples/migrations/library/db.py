"""The database: LIBRARY_DATABASE_URL, or a SQLite file next to where you run the command."""

import os

from covet.orm import Database

db = Database(os.environ.get("LIBRARY_DATABASE_URL", "sqlite:///library.db"))
