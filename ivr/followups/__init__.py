"""Follow-ups: the promises the hotline makes to callers, as durable work items in SQL.

Owns: the kinds and the status table (`status`, pure), the due-time policy and its file
(`policy`, `policy_file`: `config/followups.yaml`), the store (`store`: items and their
append-only history), the lookup-provider wrapper that turns every promise a flow makes into an
item (`promises`), and the periodic escalation of overdue items (`escalation`).

Layer: below the queue and call rooms (which create and work items), above `ivr.providers`
(it wraps them), `ivr.store` (the tables) and `ivr.engine` (the trading calendar). It must not
import `ivr.queue`, `ivr.call`, `ivr.web`, `ivr.app` or the commands: supervisor alerts arrive
as an injected `alert(kind, fields)` callable.

Rules:
- Nothing is promised that does not create an item: the wrapper creates one when a promising
  lookup answers `ok` (a ticket kind or callback reason listed in the policy file).
- Every change of an item appends one history row (who, when, what, why) in the same
  transaction; the status moves only through `status.advance`, which refuses illegal moves
  with `IllegalTransition` (a `Conflict`).
- Account numbers: stored as the back office's digest, shown only as the last 4 digits.
"""
