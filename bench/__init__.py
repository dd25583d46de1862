"""Benchmarks of the running product (`make bench`). Not part of the product: nothing outside bench/ imports it."""
