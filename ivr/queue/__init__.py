"""The queue room: what happens to a caller between "put me through" and an agent's hello.

Owns:
- the hand-off port the call session uses (`handoff`) and its Redis + ARI implementation
  (`runtime.RedisQueueHandoff`, the shell; its ARI actions in `ari_actions`);
- the waiting-call lifecycle, pure: its data (`waiting`: state, events, actions) and its table
  (`lifecycle.step`);
- the agent dialer (`dialer`: the router task, agent and callback legs) and how far an in-queue
  callback has got (`callback_stage`, pure); who answered a call (`handled`);
- waiting announcements and exit keys (`announce`: texts and open exits, pure; `announcer`:
  the loop that plays them);
- supervisor alerts (`alerts`), the agent feed for websockets (`feed`), and the local
  redis-server for `ivr serve` (`local_redis`, supervised);
- call control of a connected call (`control`: hold, resume, blind transfer to a queue; pure
  `plan` and its shell) and supervisor monitoring (`monitor`: listen, whisper, barge by snoop
  and bridges), both audited, and transfers to a person (`consult`: warm, conference; pure,
  with its shell in `consult_shell`) (docs/call-control.md);
- ownership and recovery (`recovery`: this instance's lease, reclaiming a dead instance's
  calls; docs/recovery.md);
- interval reports of the queues from the call records' trace facts (`intervals`, pure) and
  the wallboard's colour thresholds (`thresholds`: `config/wallboard.yaml`; docs/reports.md);
- the queue store's start for the app (`boot`), its health watch (`health`: `/healthz`, the
  `ivr_dependency_up` gauge); background loops report an outage with `ivr.outage`.

Must not import `ivr.call`, `ivr.outbound`, `ivr.web`, `ivr.app` or `ivr.commands` (above it),
nor its sibling `ivr.flowversions` (held by the import-linter layers contract). `waiting`,
`lifecycle` and `announce` import no I/O library.
"""
