"""Load test of the Amal Education API: the locustfile the runner gives Locust, installed with the package.

    loadtest run --preset smoke                                    # a preset against the stand-in API
    locust -f locustfile.py --host http://127.0.0.1:8000           # web UI, from a checkout

The user, its five task sets and its options live in the ``loadtest`` package; this file only
names the user for Locust.
See README.md for presets, credentials and the production guard.
"""

from loadtest.user.locust_user import AmalEducationUser

__all__ = ["AmalEducationUser"]
