"""A bare gevent WSGI hello-world served exactly as the sandbox is: the benchmark's yardstick.

``python -m tools.bench.hello [--bind 127.0.0.1] [--port 0]``
"""

from __future__ import annotations

import argparse
import sys

from loadtest.exitcodes import ExitCode
from loadtest.sandbox.server import serve_until_signalled

_BODY = b'{"hello":"world"}'
_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]


def hello_world(environ, start_response):
    start_response("200 OK", list(_HEADERS))
    return [_BODY]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.hello", description=__doc__)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    serve_until_signalled(hello_world, bind=args.bind, port=args.port, label="hello-world")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
