"""`python -m atlas build`: raw snapshots → the shipped data/ and geo/, each step named and
recorded in provenance sidecars (layer builders, source readers, population, stats, the
example story, synthetic data for benchmarks).
"""
