"""Scale benchmarks for SSE Atlas (issue 7): `python -m benchmarks [--quick] [--json PATH]`.

Synthetic initiatives (atlas.build.synth) at several sizes; every figure of the atlas's own path is
measured beside a naive baseline in the same run. See benchmarks/__main__.py.
"""
