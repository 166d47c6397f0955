"""Independent implementations of every exercise task, as data: see tests/test_independent_implementations.py."""
