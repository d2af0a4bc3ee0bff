"""Grafana dashboards as code for reservewatch.

One module per dashboard, each with a ``dashboard()`` function returning a
grafana-foundation-sdk builder; :mod:`dashboards.build` renders them all to ``dashboards/json``,
the folder Grafana provisions (``python -m dashboards.build``).
"""
