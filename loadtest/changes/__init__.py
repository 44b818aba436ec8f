"""Change points over a baseline's long history: which endpoint got slower or less reliable, from
which run on, and between which commits (``loadtest changes``; docs/changes.md).

rules.py reads the thresholds (the ``changes`` section of thresholds.json), detect.py runs Apache
Otava's E-divisive means detector over each endpoint's typical time and failure ratio, render.py
writes what it found for a console, a job summary and an issue.
"""
