"""Benchmarks and the scale data generator they use (not part of the app package, not run by the test suite)."""
