"""The bundle reader's percentile from histograms is Locust's own rule, asked of Locust itself.

Locust runs in a child process: importing it here would monkey-patch this test process with gevent.
"""

import json
import random
import sys

import pytest

from loadtest.bundle import histogram_percentile
from tests.conftest import run_command

pytestmark = pytest.mark.slow

ASK_LOCUST = (
    "import json, sys\n"
    "from locust.stats import calculate_response_time_percentile as p\n"
    "cases = json.load(sys.stdin)\n"
    "print(json.dumps([p({int(k): v for k, v in h.items()}, sum(h.values()), q) for h, q in cases]))"
)


def test_histogram_percentile_is_locusts_own_rule():
    rng = random.Random(4)
    cases = [
        (
            {
                str(rng.choice([1, 2, 5, 40, 170, 1400, 59000])): rng.randint(1, 500)
                for _ in range(rng.randint(1, 6))
            },
            q,
        )
        for _ in range(200)
        for q in (0.5, 0.95, 0.99)
    ]
    locust = run_command(sys.executable, "-c", ASK_LOCUST, input=json.dumps(cases), timeout=60)
    assert locust.returncode == 0, locust.stderr

    ours = [histogram_percentile({float(k): v for k, v in h.items()}, sum(h.values()), q) for h, q in cases]

    assert ours == json.loads(locust.stdout.strip().splitlines()[-1])
