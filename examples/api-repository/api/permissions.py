"""The app API key check, applied by default to every view (settings.REST_FRAMEWORK)."""

from rest_framework import exceptions, permissions

from .models import AppAPIKey

HEADER = "HTTP_X_API_TOKEN"


class HasAppAPIKey(permissions.BasePermission):
    """Lets a request through only if its X-API-Token header is the app's API key."""

    def has_permission(self, request, view) -> bool:
        given = request.META.get(HEADER)
        # Raised here rather than returning False: for a request without a valid bearer token DRF's
        # permission_denied() would turn a False into 401 "credentials not provided", never 403.
        if not given:
            raise exceptions.PermissionDenied("API key missing: send it in the X-API-Token header.")
        # A lookup by digest: the key itself is never stored, and the index answers in constant time.
        if not AppAPIKey.objects.filter(digest=AppAPIKey.digest_of(given)).exists():
            raise exceptions.PermissionDenied("Invalid API key.")
        return True
