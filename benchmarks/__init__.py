"""Benchmarks for django-streaminbox: every figure beside a baseline measured in the same run.

``python -m benchmarks`` (what ``make bench`` runs) starts the Stream emulator with 20 ms of
injected latency, a real WSGI server and headless Chromium, measures the app against the hand-
rolled integration of the seed article and against the physical floor, prints a table and writes
``benchmarks/results/latest.json``. The baselines live here, never in the package."""
