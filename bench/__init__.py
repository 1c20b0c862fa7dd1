"""Benchmarks: each prints its figures and the ratio to a physical limit measured in the same run."""
