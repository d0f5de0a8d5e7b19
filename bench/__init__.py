"""Benchmarks: `python -m bench NAME` prints a JSON object as its last line."""
