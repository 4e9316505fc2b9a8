"""One call, between ARI and the flow engine: StasisStart -> router -> session -> engine.step
-> commands -> ARI.

Owns: the event router (`router`: a session per StasisStart, per-call ordered lanes, resync),
the call session (`session`, with what every call shares in `deps` and its timers and lookups
in `timers`, its ARI inputs in `session_inputs`, its small pure parts in `session_parts`),
speech recognition in calls (`speech`), prompt media URLs (`media`), audio recording of calls
(`recording`, and the whole-call evidence recording of recorded flows in `evidence`), the
write-behind call rows and their local journal (`records`, `record_journal`), the satisfaction
survey of a call (`survey`), agent-first callbacks of follow-up items (`followup_call`), and
calls taken over from a crashed process (`adoption`, `resumed`).

Must not import: `ivr.app`, `ivr.web`, `ivr.commands` or `ivr.cli` (they build and drive the
call), nor `ivr.sandbox` (the app talks to a switch only over ARI). Menu decisions belong to
`ivr.engine`; a call only executes its commands. Below it: `ivr.outbound`, `ivr.queue`,
`ivr.followups`, `ivr.providers`, `ivr.store`, `ivr.ari`, `ivr.prompts`, `ivr.engine`.
"""
