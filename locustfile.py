"""Load test of the Amal Education API.

    locust -f locustfile.py --host http://127.0.0.1:8000          # web UI
    locust --config loadtest/presets/smoke.conf --host URL         # a preset, headless
    python scripts/run_tests.py                                    # smoke run against the stand-in API

The user, its five task sets and its options live in the ``loadtest`` package;
see README.md for presets, credentials and the production guard.
"""

from loadtest.user import AmalEducationUser

__all__ = ["AmalEducationUser"]
