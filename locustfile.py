"""Load test of the Amal Education API, for ``locust`` run in a checkout.

    locust -f locustfile.py --host http://127.0.0.1:8000          # web UI
    locust --config loadtest/presets/smoke.conf --host URL         # a preset, headless
    loadtest run --preset smoke                                    # smoke run against the stand-in API

The locustfile itself is loadtest/locustfiles/locustfile.py (installed with the package, what the runner
gives Locust); this one names the same user.
"""

from loadtest.locustfiles.locustfile import AmalEducationUser

__all__ = ["AmalEducationUser"]
