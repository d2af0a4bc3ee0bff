"""Benchmarks: one module per benchmark, each one command printing a table and a JSON line."""
