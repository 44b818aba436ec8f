"""The Django project of the example API: settings, URLs and the WSGI entry point gunicorn serves."""
