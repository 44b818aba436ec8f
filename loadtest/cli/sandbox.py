"""``loadtest sandbox``: the stand-in API (``python -m loadtest sandbox`` where the runner starts it as a
child process); see ``--help``."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.bundle.files import BundleError, read_json
from loadtest.cli.console import command_parser
from loadtest.exitcodes import ExitCode
from loadtest.sandbox.app import SandboxApp
from loadtest.sandbox.faults import FaultInjector, FaultRule, FaultSpecError, parse_cli_rule, parse_rules
from loadtest.sandbox.profiles import PROFILES, profile_rules
from loadtest.sandbox.server import (
    FD_MARGIN,
    IDLE_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    ServeLimits,
    serve_until_signalled,
)
from loadtest.sandbox.state import Caps, Store
from loadtest.sandbox.tokens import TokenSigner
from loadtest.settings import Settings

EPILOG = f"""\
the API key: every request must carry it in X-API-Token, as the real API requires; give it with
  --api-key KEY or LOADTEST_API_KEY (the runner makes one per run). A missing or wrong key is a 403.

latency profiles: --profile realistic answers every endpoint as slowly as production does (the
  contract's measured medians and tails); --profile-scale 0.1 takes a tenth of those times.
  --fault rules are tried before the profile's.

fault rules (first match wins; --fault rules are tried before those of --faults-file):
  --fault 'PATTERN=ITEM,ITEM,...'   PATTERN is a glob on the endpoint's stats name 'METHOD /path/'
                                     ('*' = every endpoint); ITEMs:
    latency:MS                             fixed latency in milliseconds
    jitter:lognormal:MEDIAN_MS:P95_RATIO   plus a lognormal sample (p95 = P95_RATIO x median)
    jitter:uniform:MAX_MS                  plus a uniform sample in [0, MAX_MS]
    jitter:exponential:MEAN_MS             plus an exponential sample
    jitter:quantiles:P50:P90:P95:P99       plus a sample with these percentiles (ms)
    jitter:mixture:MEDIAN_MS:P95_RATIO:SECOND_RATIO:SECOND_WEIGHT:TAIL_RATIO:TAIL_WEIGHT
                                           plus a sample of three lognormal modes: the main one,
                                           one SECOND_RATIO x slower for a SECOND_WEIGHT share of
                                           requests, one TAIL_RATIO x slower for a TAIL_WEIGHT share
    scale:X                                multiply the whole latency by X
    errors:RATE                            answer this fraction (0..1) with an injected error
    status:500|503                         status of injected errors (default 503)
  e.g. --fault '*=jitter:lognormal:50:2.5' --fault 'GET /api/dashboard/=latency:50,errors:0.1'
  --faults-file takes the canonical JSON form: a list of
  {{"match", "latency_ms", "jitter", "scale", "error_rate", "error_status"}} objects.

connections (the stand-in may be left on a port anything can reach):
  a request's line, headers and body must arrive within --request-timeout ({REQUEST_TIMEOUT_S:g} s) of its
  first byte, else 408 and the connection closes; a keep-alive connection idle for --idle-timeout
  ({IDLE_TIMEOUT_S:g} s) closes; past --max-connections (default: the file-descriptor limit, raised to its
  hard limit at start, less {FD_MARGIN}) a connection is answered 503 and closed, and served again
  as soon as others close. SIGTERM stops it within 2 s, whatever is connected.

admin endpoints (only with --admin; never subject to faults):
  GET /__sandbox/faults, PUT /__sandbox/faults {{"rules": [...]}}, GET /__sandbox/stats

state caps (oldest evicted first; users least recently active first), defaults:
  {Caps().users:,} users;
  {Caps().threads_per_user} chat threads and {Caps().collections_per_user} collections per user, \
{Caps().threads:,} threads and {Caps().collections:,} collections in all;
  {Caps().messages_per_thread} messages per thread; {Caps().contact_messages:,} contact messages.

exit codes:
  0  stopped by SIGTERM or Ctrl+C
  1  cannot listen on --bind:--port
  2  usage error: a bad option, fault rule or faults file, or no API key
"""


def _positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return int(text)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0..65535, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "loadtest sandbox",
        "Stand-in Amal Education API for load tests, with fault injection.",
        EPILOG,
        one_line=True,
    )
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--api-key", metavar="KEY", help="the API key requests must carry (default: $LOADTEST_API_KEY)"
    )
    parser.add_argument("--profile", choices=PROFILES, help="a latency profile, e.g. realistic")
    parser.add_argument(
        "--profile-scale", type=_positive_float, default=1.0, metavar="X", help="times of the profile x X"
    )
    parser.add_argument("--port", type=_port, default=0, help="port; 0 picks a free one (default: 0)")
    parser.add_argument("--access-lifetime", type=_positive_float, default=300.0, metavar="SECONDS")
    parser.add_argument("--refresh-lifetime", type=_positive_float, default=86_400.0, metavar="SECONDS")
    parser.add_argument("--seed", type=int, default=None, help="seed of fault and mystery-box randomness")
    parser.add_argument("--admin", action="store_true", help="serve the /__sandbox/ admin endpoints")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="a fault rule, see below"
    )
    parser.add_argument("--faults-file", type=Path, metavar="FILE.json", help="fault rules in JSON")
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr (slow)")
    connections = parser.add_argument_group("connections")
    connections.add_argument(
        "--request-timeout", type=_positive_float, default=REQUEST_TIMEOUT_S, metavar="SECONDS"
    )
    connections.add_argument(
        "--idle-timeout", type=_positive_float, default=IDLE_TIMEOUT_S, metavar="SECONDS"
    )
    connections.add_argument("--max-connections", type=_positive_int, metavar="N")
    caps = parser.add_argument_group("state caps")
    for name, value in vars(Caps()).items():
        flag = "--max-" + name.replace("_", "-")
        caps.add_argument(
            flag, dest=f"cap_{name}", type=int, default=value, metavar="N", help=f"(default: {value})"
        )
    return parser


def load_rules(specs: Sequence[str], faults_file: Path | None) -> list[FaultRule]:
    rules = [parse_cli_rule(spec) for spec in specs]
    if faults_file is not None:
        try:
            data = read_json(faults_file)  # nesting, huge integers, repeated keys refused in one line
        except BundleError as exc:
            raise FaultSpecError(f"--faults-file {exc}") from None
        try:
            rules += parse_rules(data)
        except FaultSpecError as exc:
            raise FaultSpecError(f"--faults-file {faults_file}: {exc}") from None
    return rules


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rules = load_rules(args.fault, args.faults_file)
        if args.profile:
            rules += profile_rules(args.profile, scale=args.profile_scale)
        caps = Caps(**{k.removeprefix("cap_"): v for k, v in vars(args).items() if k.startswith("cap_")})
    except ValueError as exc:  # FaultSpecError is a ValueError
        parser.error(str(exc))
    api_key = (args.api_key or Settings.from_environ().api_key).strip()
    if not api_key:
        parser.error("the stand-in requires an API key as the real API does: --api-key or LOADTEST_API_KEY")
    logging.basicConfig(level=logging.INFO, format="sandbox: %(levelname)s %(message)s", stream=sys.stderr)
    app = SandboxApp(
        api_key=api_key,
        store=Store(caps),
        signer=TokenSigner(access_lifetime=args.access_lifetime, refresh_lifetime=args.refresh_lifetime),
        injector=FaultInjector(rules, seed=args.seed),
        admin=args.admin,
        seed=args.seed,
    )
    try:
        limits = ServeLimits(
            request_timeout_s=args.request_timeout,
            idle_timeout_s=args.idle_timeout,
            max_connections=args.max_connections,
        )
        serve_until_signalled(app, bind=args.bind, port=args.port, access_log=args.access_log, limits=limits)
    except OSError as exc:
        print(f"{parser.prog}: error: cannot listen on {args.bind}:{args.port}: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    return ExitCode.OK
