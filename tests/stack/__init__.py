"""The stack as processes: `caunoi run`, the supervisor, the private store, the internal servers."""
