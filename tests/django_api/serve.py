"""Launcher: ``python -m tests.django_api.serve --api-key KEY [--port 0] [--access-lifetime S] [--db-dir D]``.

Migrates a SQLite database quietly, then serves the app with Django's development server classes
(threaded, no autoreload: what ``runserver --noreload`` runs) on 127.0.0.1, and prints one line
``django-api listening on http://127.0.0.1:PORT`` once the socket accepts connections.
SIGTERM or SIGINT stops it; a database folder it made itself is removed at exit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.django_api.serve", description=__doc__)
    parser.add_argument("--api-key", help="the app API key (default: $LOADTEST_API_KEY)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--access-lifetime", type=float, default=300.0, help="access token lifetime, s")
    parser.add_argument("--db-dir", help="folder for the SQLite file (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.access_lifetime < 0:
        parser.error("--access-lifetime must be >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    api_key = args.api_key or os.environ.get("LOADTEST_API_KEY", "")
    if not api_key:
        print("serve: no API key: pass --api-key or set LOADTEST_API_KEY", file=sys.stderr)
        return 2

    # Block the stop signals and wait for them with sigwait() below, instead of handlers: a signal
    # that arrives during the migrations stays pending (no half-done exit leaving the temp folder
    # behind), and the server threads, which inherit the mask, never see it.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)

    owns_db_dir = args.db_dir is None
    db_dir = Path(tempfile.mkdtemp(prefix="django-api-") if owns_db_dir else args.db_dir).resolve()
    db_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django_api.settings"
    os.environ["DJANGO_API_KEY"] = api_key
    os.environ["DJANGO_API_DB_DIR"] = str(db_dir)
    os.environ["DJANGO_API_ACCESS_LIFETIME"] = repr(args.access_lifetime)
    try:
        return serve(args.port)
    finally:
        if owns_db_dir:
            shutil.rmtree(db_dir, ignore_errors=True)


def serve(port: int) -> int:
    # Django is imported only now, after main() has put the settings' inputs into the environment.
    import django
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    class Server(ThreadedWSGIServer):
        # Django's listen backlog of 10 drops connections when a load test opens many at once, and
        # each dropped SYN costs the client a 1 s retransmit.
        request_queue_size = 128

    class Handler(WSGIRequestHandler):
        # The dev server writes headers and body in separate sends; with Nagle on, a kept-alive
        # connection waits ~40 ms on the client's delayed ACK before the body leaves, every request.
        disable_nagle_algorithm = True

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    connections.close_all()
    # Binding port 0 ourselves and reading the port back: no pick-then-bind race.
    server = Server(("127.0.0.1", port), Handler)
    server.set_app(get_wsgi_application())
    try:
        if STOP_SIGNALS & signal.sigpending():  # told to stop while migrating: never announce
            return 0
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        # The socket is listening since the constructor, so connections are accepted from here on.
        print(f"django-api listening on http://127.0.0.1:{server.server_port}", flush=True)
        signal.sigwait(STOP_SIGNALS)
        server.shutdown()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
