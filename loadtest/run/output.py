"""Locust's output, line by line: all of it to locust.log, to the console only what a person watches.

The console gets the status lines of loadtest.user.status (a new line each in a log, one line rewritten
in place on a terminal), Locust's warnings and errors with what follows them (a traceback), and
anything Locust prints before its logging starts (a usage error). Its INFO chatter stays in the log.
Lines are recognised by Locust's log format, ``[time] host/LEVEL/logger: message``, never by its
console tables.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from typing import TextIO

from loadtest.user import status

_LOG_LINE = re.compile(r"^\[[^\]]+\] [^/\s]*/(?P<level>[A-Z]+)/(?P<logger>[^:\s]+): (?P<message>.*)$")
SHOWN_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
_CLEAR_LINE = "\r\x1b[K"


@dataclass(frozen=True)
class LocustLine:
    """One line of Locust's output; ``level`` is None for a line that is not a log record's first."""

    text: str
    level: str | None = None
    logger: str = ""
    message: str = ""

    @classmethod
    def parse(cls, text: str) -> LocustLine:
        text = text.rstrip("\r\n")
        match = _LOG_LINE.match(text)
        if match is None:
            return cls(text)
        return cls(text, match["level"], match["logger"], match["message"])

    @property
    def is_status(self) -> bool:
        return self.level == "INFO" and status.is_status(self.logger, self.message)


class Console:
    """What the console shows of Locust's output. ``live``: a terminal, where the status line is
    rewritten in place; otherwise (a CI log, a pipe) each status line is a line of its own."""

    def __init__(self, stream: TextIO, *, live: bool, width: int | None = None) -> None:
        self.stream = stream
        self.live = live
        self.width = width
        """Of the live line; None: the terminal's, asked at each line (a wrapped line cannot be rewritten)."""
        self._status = ""
        self._showing = True
        """Whether a line that is not a log record's first shows: it belongs to the record before it."""

    def show(self, line: LocustLine) -> None:
        if line.is_status:
            self._show_status(line.message)
            return
        if line.level is not None:
            self._showing = line.level in SHOWN_LEVELS
        elif line.text.startswith("Traceback (most recent call last):"):
            self._showing = True
        if self._showing:
            self._write_line(line.text)

    def close(self) -> None:
        """End the live line, so that what the runner prints next starts on a line of its own."""
        if self.live and self._status:
            self.stream.write("\n")
            self.stream.flush()
        self._status = ""

    def _show_status(self, message: str) -> None:
        if not self.live:
            self._write_line(message)
            return
        width = self.width or shutil.get_terminal_size().columns - 1
        self._status = message[:width]
        self.stream.write(_CLEAR_LINE + self._status)
        self.stream.flush()

    def _write_line(self, text: str) -> None:
        if self.live and self._status:
            self.stream.write(_CLEAR_LINE + text + "\n" + self._status)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
