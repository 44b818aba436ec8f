"""A minimal real Django + DRF + SimpleJWT stand-in of the Amal Education API, for tests.

Start it with ``python -m tests.django_api.serve --api-key KEY`` or, from Python, with
``running_django_api(KEY)`` (see process.py). Nothing here imports the repository's loadtest package.
"""

from .process import running_django_api

__all__ = ["running_django_api"]
