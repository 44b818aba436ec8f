"""The app API key check, applied by default to every view (settings.REST_FRAMEWORK)."""

import secrets

from django.conf import settings
from rest_framework import exceptions, permissions

HEADER = "HTTP_X_API_TOKEN"


class HasAppAPIKey(permissions.BasePermission):
    """Lets a request through only if its X-API-Token header is the app's API key."""

    def has_permission(self, request, view) -> bool:
        given = request.META.get(HEADER)
        # Raised here rather than returning False: for a request without a valid bearer token DRF's
        # permission_denied() would turn a False into 401 "credentials not provided", never 403.
        if not given:
            raise exceptions.PermissionDenied("API key missing: send it in the X-API-Token header.")
        expected = settings.APP_API_KEY
        if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
            raise exceptions.PermissionDenied("Invalid API key.")
        return True
