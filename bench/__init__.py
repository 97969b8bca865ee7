"""Benchmarks of dtc-api; `python -m bench` measures every request shape in one run."""
