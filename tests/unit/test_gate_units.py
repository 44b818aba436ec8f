"""How the gate writes numbers for people: one table per formatter."""

from datetime import timedelta

import pytest

from loadtest.gate.units import (
    format_age,
    format_change,
    format_duration,
    format_ms,
    format_pct,
    format_percent,
    format_points,
    format_relative,
    format_rps,
    format_signed_pct,
    format_value,
)


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.2, "20%"), (0.025, "2.5%"), (0.03, "3%"), (0.0, "0%"), (1.5, "150%")],
)
def test_format_pct_writes_a_configured_fraction_as_short_as_it_goes(fraction, text):
    assert format_pct(fraction) == text


@pytest.mark.parametrize(
    ("change", "baseline", "text"),
    [
        (18, 100, "+18%"),
        (-3, 100, "-3%"),
        (0, 100, "+0%"),
        (0.4, 100, "+0%"),
        (5, 0, "from 0"),
        (0, 0, "from 0"),
    ],
)
def test_format_signed_pct_always_shows_the_sign(change, baseline, text):
    assert format_signed_pct(change, baseline) == text


@pytest.mark.parametrize(("ratio", "text"), [(0.0125, "1.25%"), (0.0, "0.00%"), (1.0, "100.00%")])
def test_format_percent_writes_a_measured_ratio_to_two_decimals(ratio, text):
    assert format_percent(ratio) == text


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [
        ("p95", 812.0, "812 ms"),
        ("p95", 4.25, "4.2 ms"),
        ("failure_ratio", 0.0125, "1.25%"),
        ("rps", 12.34, "12.3 req/s"),
        ("requests", 1204, "1,204"),
        ("p95", None, "n/a"),
    ],
)
def test_format_value(metric, value, text):
    assert format_value(metric, value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(None, "n/a"), (4.25, "4.2"), (4.0, "4"), (10.4, "10"), (1234.0, "1,234")]
)
def test_format_ms(value, text):
    assert format_ms(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(None, "n/a"), (3.984, "3.98"), (12.34, "12.3"), (1234.5, "1,234.5")]
)
def test_format_rps(value, text):
    assert format_rps(value) == text


@pytest.mark.parametrize(
    ("metric", "current", "baseline", "text"),
    [
        ("p95", 118, 100, "+18%"),
        ("p95", 100, 100, "±0%"),
        ("rps", 5, 0, "new"),
        ("failure_ratio", 0.015, 0.01, "+0.50 pp"),
        ("failure_ratio", 0.01, 0.01, "±0 pp"),
        ("p95", None, 100, "n/a"),
    ],
)
def test_format_change(metric, current, baseline, text):
    assert format_change(metric, current, baseline) == text


def test_format_relative_and_points_from_zero():
    assert (format_relative(0, 0), format_points(0.0, 0.0)) == ("±0%", "±0 pp")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45 s"),
        (119, "119 s"),
        (119.6, "2 min"),
        (300, "5 min"),
        (330, "5 min 30 s"),
        (3600, "1 h"),
        (5400, "1 h 30 min"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(minutes=40), "40 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(days=3, hours=2), "3 days"),
        (timedelta(minutes=-5), "from the future (check the clocks)"),
    ],
)
def test_format_age(age, text):
    assert format_age(age) == text
