"""The store: SQLAlchemy 2 (async) tables, migrations and the queries the collector needs."""
