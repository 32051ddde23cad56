"""Ports for the processes tests start."""

from __future__ import annotations

import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, never the same twice in one test run.

    The kernel may hand the port a probe just closed to the next probe, so two services
    asked for at once could otherwise share one port and one would answer for the other.
    """
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
