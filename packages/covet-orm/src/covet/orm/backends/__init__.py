"""Executors: the only code that talks to a database driver (see ``base``)."""
