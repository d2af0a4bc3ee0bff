"""Pool adapters, one module each, and their table (:mod:`.registry`).

The package itself imports nothing, so an adapter importing its helpers (``base``,
``normalise``) never pulls in the table that imports every adapter.
"""
