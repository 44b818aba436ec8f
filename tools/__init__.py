"""Research beside the load test: the gate's calibration, the benchmarks and the capacity study.

Not part of the installed package (pyproject.toml installs ``loadtest`` only): run from the repository
root as ``python -m tools COMMAND`` (tools.cli). It imports the runtime package; nothing under
loadtest/ imports it (tests/unit/test_import_graph.py).
"""
