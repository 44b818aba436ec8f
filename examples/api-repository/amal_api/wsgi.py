"""The WSGI application gunicorn serves: ``gunicorn amal_api.wsgi`` (see gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amal_api.settings")

application = get_wsgi_application()
