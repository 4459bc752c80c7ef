"""`make eval`'s parts: judged data and metrics, baselines, paperboy as a system, studies."""
