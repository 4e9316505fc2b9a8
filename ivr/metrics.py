"""Prometheus metrics of the call path, on a registry of our own (one per app instance).

Rules: no label carries a caller number, account or any free text; only bounded label sets
(event type, ARI method, outcome, dependency name). `/metrics` serves `Metrics.render()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.active_calls = Gauge("ivr_active_calls", "Calls in progress", registry=r)
        self.calls_total = Counter(
            "ivr_calls_total", "Calls ended, by outcome", ["outcome"], registry=r
        )
        self.events_total = Counter(
            "ivr_ari_events_total", "ARI events received, by type", ["type"], registry=r
        )
        self.event_latency = Histogram(
            "ivr_event_to_action_seconds",
            "Time from an ARI event's arrival to the first ARI request it causes",
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )
        self.ari_errors = Counter(
            "ivr_ari_errors_total", "ARI requests that failed, by kind", ["kind"], registry=r
        )
        self.ari_request_latency = Histogram(
            "ivr_ari_request_seconds",
            "ARI REST request latency",
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )
        self.reconnects = Counter(
            "ivr_ari_reconnects_total",
            "Events websocket (re)connections after the first",
            registry=r,
        )
        self.recording_incidents = Counter(
            "ivr_recording_incidents_total",
            "Call recordings that ended or failed while their call was up, by reason",
            ["reason"],
            registry=r,
        )
        self.dependency_up = Gauge(
            "ivr_dependency_up",
            "1 while a dependency answers (redis, ari, database), else 0",
            ["dependency"],
            registry=r,
        )
        self.calendar_days_ahead = Gauge(
            "ivr_trading_calendar_days_ahead",
            "Days ahead the trading calendar knows the exchange holidays (0: none listed)",
            registry=r,
        )
        self.call_records_pending = Gauge(
            "ivr_call_records_pending",
            "Call-record reports not yet written to SQL, by where they wait (memory, journal)",
            ["where"],
            registry=r,
        )
        self.records_in_memory = self.call_records_pending.labels("memory")  # set per record
        self.records_journaled = self.call_records_pending.labels("journal")
        self.calls_ringing = Gauge(
            "ivr_calls_ringing",
            "New calls not yet answered: waiting for a setup slot (calls.setup_concurrency)",
            registry=r,
        )

    def dependency(self, name: str, up: bool) -> None:
        """Set `ivr_dependency_up{dependency=name}`."""
        self.dependency_up.labels(name).set(1 if up else 0)

    def recording_incident(self, reason: str) -> None:
        """Count a recording incident (`ended_early`, `failed`, `snoop_ended`)."""
        self.recording_incidents.labels(reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
