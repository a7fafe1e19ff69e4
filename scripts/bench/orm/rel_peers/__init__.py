"""Peers of relations.py: one module each, with IS_ASYNC and make(cfg)."""
