"""The benchmark reads wrk's output right: requests/s, the median in any unit, errors."""

import pytest

from tools.bench.sandbox import WrkResult, parse_wrk

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:40001/api/dashboard/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.05ms  210.33us   5.91ms   90.12%
    Req/Sec     9.33k   412.17    10.01k    80.00%
  Latency Distribution
     50%  {p50}
     75%    1.10ms
     90%    1.21ms
     99%    2.02ms
  27890 requests in 3.00s, 25.71MB read
{extra}Requests/sec:   9289.85
Transfer/sec:      8.57MB
"""


@pytest.mark.parametrize(
    ("p50", "ms"), [("849.00us", 0.849), ("1.02ms", 1.02), ("1.50s", 1500.0), ("2.00m", 120_000.0)]
)
def test_requests_per_second_and_median_in_any_unit(p50, ms):
    assert parse_wrk(WRK_OUTPUT.format(p50=p50, extra="")) == WrkResult(9289.85, ms, 0)


def test_error_answers_and_socket_errors_are_counted():
    extra = "  Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 40\n"
    assert parse_wrk(WRK_OUTPUT.format(p50="1.00ms", extra=extra)).bad_responses == 43


def test_output_without_latency_distribution_is_refused():
    with pytest.raises(ValueError, match="--latency"):
        parse_wrk("Requests/sec: 5.0\n")
