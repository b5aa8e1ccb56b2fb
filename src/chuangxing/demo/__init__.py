"""Demo data: a realistic city for trying the system and for the benchmarks."""
