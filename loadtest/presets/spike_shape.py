"""SpikeShape: calm level, a sudden jump, then back to calm. Used by spike.conf only.

This file is given to Locust next to locustfile.py (``locustfile = locustfile.py,
loadtest/presets/spike_shape.py``), so that the other presets run without a shape.
Its numbers come from the preset's options, not from this file.
"""

from __future__ import annotations

from locust import LoadTestShape, events


@events.init_command_line_parser.add_listener
def add_spike_options(parser, **_kwargs) -> None:  # noqa: ANN001
    """The spike's size and timing, set in spike.conf."""
    parser.add_argument("--spike-users", type=int, default=100, help="Users during the spike")
    parser.add_argument("--spike-spawn-rate", type=float, default=50, help="Spawn rate into the spike")
    parser.add_argument("--spike-start", type=int, default=60, help="Seconds of calm before the spike")
    parser.add_argument("--spike-length", type=int, default=60, help="Seconds the spike lasts")


class SpikeShape(LoadTestShape):
    """Calm at --users; --spike-users from --spike-start for --spike-length s; calm again until --run-time."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        opts = self.runner.environment.parsed_options
        elapsed = self.get_run_time()
        if opts.run_time and elapsed >= opts.run_time:
            return None
        if opts.spike_start <= elapsed < opts.spike_start + opts.spike_length:
            return opts.spike_users, opts.spike_spawn_rate
        return opts.num_users, opts.spawn_rate
