"""Benchmarks for liangxin at district, city and province scale (``python -m benchmarks run --help``).

Speed is measured here, never asserted in tests: ``tests/test_benchmarks_smoke.py`` only checks that the
runner produces its JSON with every stage and that the pandas baseline agrees with the warehouse.
"""
