"""gunicorn's settings, read from this folder: ``gunicorn amal_api.wsgi`` serves on 127.0.0.1:$PORT.

The load-test runner picks a free loopback port and passes it as PORT.
"""

import os

wsgi_app = "amal_api.wsgi"
bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Two processes of four threads: a 2-core CI runner, and requests that mostly wait on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
# Load the app once, before the fork: the workers then share one SECRET_KEY (settings.py draws a
# random one when DJANGO_SECRET_KEY is unset), so a token signed by one worker is valid in the other.
preload_app = True
# Under load a 1 s graceful stop would cut requests in flight less often than the default 30 s
# holds up the end of the run; the runner waits 10 s before it kills.
graceful_timeout = 5
# No access log: at load-test rates it costs CPU; errors still reach stderr.
accesslog = None
errorlog = "-"
# No control socket: nothing here uses it, and its default path (~/.gunicorn) is one per user, shared by
# every server a runner starts (the load test's head and base).
control_socket_disable = True
