"""A stand-in for wrk in the benchmark's tests: one real request with wrk's headers, then set figures.

``python tests/fakes/wrk.py [-t1 -c10 -dNs --latency] [-H 'Name: value' ...] URL`` (the tests put a
``wrk`` on PATH that runs it). Each call appends ``{"target", "status"}`` to the file FAKE_WRK_LOG,
where ``status`` is what the URL answered to the headers wrk was given, and prints wrk's report
with the next figures FAKE_WRK_FIGURES holds for its target: a JSON object of ``"hello"`` (the
URL ``/``) and ``"sandbox"`` (any other path), each a list of ``[requests/s, p50 ms, non-2xx
answers]`` in call order, the benchmark's warm-up first. With FAKE_WRK_FAIL set, it prints that
to stderr and exits 1, as wrk does when it cannot connect.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

REPORT = """\
Running 1s test @ {url}
  1 threads and 10 connections
  Latency Distribution
     50%    {p50:.2f}ms
     99%    {p50:.2f}ms
  1000 requests in 1.00s, 1.00MB read
{errors}Requests/sec: {rps:.2f}
Transfer/sec:      1.00MB
"""


def answer(url: str, headers: list[str]) -> int:
    """The status the URL answers to one GET with these ``Name: value`` headers."""
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    try:
        with direct.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def main(argv: list[str]) -> int:
    if failure := os.environ.get("FAKE_WRK_FAIL"):
        print(failure, file=sys.stderr)
        return 1
    url = argv[-1]
    headers = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "-H"]
    target = "hello" if urllib.parse.urlsplit(url).path == "/" else "sandbox"
    log = os.environ["FAKE_WRK_LOG"]
    with open(log, "a", encoding="utf-8") as out:
        out.write(json.dumps({"target": target, "status": answer(url, headers)}) + "\n")
    with open(log, encoding="utf-8") as calls:
        call = sum(json.loads(line)["target"] == target for line in calls) - 1
    rps, p50, non_2xx = json.loads(os.environ["FAKE_WRK_FIGURES"])[target][call]
    errors = f"  Non-2xx or 3xx responses: {non_2xx}\n" if non_2xx else ""
    print(REPORT.format(url=url, p50=p50, errors=errors, rps=rps), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
