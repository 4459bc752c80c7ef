"""On-demand summaries: resolve any reference to a paper, summarise it safely, cache it."""
