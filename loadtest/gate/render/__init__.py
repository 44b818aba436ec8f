"""The gate's report shown to people and machines: pure functions of a GateReport.

``headline`` (one line), ``render_markdown`` (the PR comment and step summary),
``render_console`` (a terminal), ``verdict_json`` (verdict.json). They import the report;
the report never imports them. The markdown summary is composed in ``markdown`` from its parts:
``context`` (the lines under the headline), ``endpoint_table``, ``charts``, and ``markdown_table``
(what its tables share).
"""

from loadtest.gate.render.console import render_console
from loadtest.gate.render.headline import describe, headline
from loadtest.gate.render.markdown import render_markdown
from loadtest.gate.render.verdict_json import REPORT_SCHEMA, verdict_json

__all__ = ["REPORT_SCHEMA", "describe", "headline", "render_console", "render_markdown", "verdict_json"]
