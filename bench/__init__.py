"""Benchmarks: `python bench/import.py` (import speed and memory), `python bench/dedup.py`.

Not part of the application: nothing in config/, references/ or screening/ imports from here.
"""
