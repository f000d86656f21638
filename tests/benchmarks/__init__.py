"""Benchmarks (性能基准): forwarding to 10,000 people and confirm throughput over HTTP.

Run with ``python -m tests.benchmarks.run``; see docs/benchmarks.md for the results and method.
"""
