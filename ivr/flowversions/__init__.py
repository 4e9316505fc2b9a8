"""Flow versions: every saved YAML version of each flow, the one live version, publish,
rollback, diff and the running app's live reload.

Owns: `service` (`FlowVersions`, which decides what goes live and keeps the live `FlowSet`),
`check` (pure: YAML texts in, flows and located errors out; diffs), `picture` (the flow graph
drawn by Graphviz for the admin page) and `context` (the
`Context` flows are validated and run with: queues, skills, calendar, prompt root). The SQL
tables and `FlowVersionStore` live in `ivr.store.flowversions`.

Must not import: `ivr.app`, `ivr.web`, `ivr.call`, `ivr.commands` or `ivr.cli` (its users),
nor `ivr.outbound` (above it) or its sibling `ivr.queue`. Below it: `ivr.store`, `ivr.engine`,
`ivr.settings`.
"""
