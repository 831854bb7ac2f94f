"""Run: what drives the stages. File discovery, training units, the analysis engine, suppressions,
the cache and the (parallel) runner."""
