"""One module per peer; each exposes ``make(cfg)`` returning a sync or async peer (see _workload)."""
