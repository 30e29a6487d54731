"""The simulated sales world, evaluation suites and benchmarks."""
