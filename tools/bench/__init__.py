"""Benchmarks of the load generator itself: what a request costs Locust, and how far one machine goes.

``generator.py`` (``python -m tools bench-generator``) measures CPU seconds per 1,000 requests of the full
locustfile against bare Locust users; ``capacity.py`` (``python -m tools capacity``) finds the highest
request rate with 1 and 2 worker processes and says which side ran out of CPU. Both run against the
stand-in API on loopback, every run bounded in time, and only print figures: no test asserts speed.
"""
