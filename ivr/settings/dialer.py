"""The outbound dialer's settings (`dialer.*`, docs/dialer.md): the trunk and the pacing. The
policies per kind of call (windows, retries, caller ID) are in `config/dialer.yaml`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DialerSettings:
    """The outbound dialer (docs/dialer.md): trunk, pacing; kind policies in config/dialer.yaml."""

    trunk_dial: str = "PJSIP/{number}@carrier"
    max_concurrent: int = 10  # outbound legs at once
    calls_per_s: float = 2.0  # new legs per second
    enabled: bool = True
