"""One module per peer; ``make(cfg)`` returns a sync or async peer (see _workload)."""
