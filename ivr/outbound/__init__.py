"""The outbound dialer (docs/dialer.md): automated calls (margin-call notices, surveys) placed
through the trunk, paced, inside calling windows, retried per result, state in SQL.

Owns: the per-kind policies (`policy`, `config/dialer.yaml` read by `config`), the pure
scheduler (`schedule`: what to dial next and when), campaign files (`campaigns`: CSV in,
validated notices out), the escalation port (`escalation`) and the asyncio shell (`dialer`)
that originates legs tagged `outbound,<id>,<attempt>` and learns how each one ended.

Must not import: `ivr.app`, `ivr.web`, `ivr.call`, the commands (its users). The pure modules
(`policy`, `schedule`, `campaigns`) import no I/O library and never read a clock.
"""
