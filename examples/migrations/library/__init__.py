"""A small library catalogue whose schema is managed by covet-migrate."""
