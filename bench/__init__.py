"""Benchmarks of the gateway on the real stack (not tests; nothing here runs in CI). See bench/README.md."""
