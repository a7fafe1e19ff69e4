"""SQL text: the dialects (one place per construct) and the compiler."""
