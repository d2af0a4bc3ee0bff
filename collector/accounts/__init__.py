"""The accounts: the store's inputs → the remittance rules → one snapshot that every reader
reads (the metrics, the API, the portal, the mailer and the documents).

``inputs`` reads what the rules need (as last seen or as known at an instant), ``terms`` keeps
the configuration's terms and settings as revisions, ``compute`` runs the rules (pure),
``statement_inputs`` and ``pool_days`` read what a statement and the expected figure need
beyond that, and ``service`` is the live pass.
"""
