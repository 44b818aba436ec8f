"""The 13 endpoints of the Amal Education API, on Django REST Framework and SimpleJWT."""
