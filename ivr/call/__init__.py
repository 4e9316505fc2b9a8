"""One call, between ARI and the flow engine: StasisStart -> router -> session -> engine.step
-> commands -> ARI.

Owns: the event router (`router`: a session per StasisStart, per-call ordered lanes, resync),
the call session (`session`, with what every call shares in `deps` and its timers and lookups
in `timers`), speech recognition in calls (`speech`), prompt media URLs (`media`), audio
recording of calls (`recording`) and the write-behind call rows (`records`).

Must not import: `ivr.app`, `ivr.web`, `ivr.commands` or `ivr.cli` (they build and drive the
call), nor `ivr.sandbox` (the app talks to a switch only over ARI). Menu decisions belong to
`ivr.engine`; a call only executes its commands. Below it: `ivr.queue`, `ivr.providers`,
`ivr.store`, `ivr.ari`, `ivr.prompts`, `ivr.engine`.
"""
