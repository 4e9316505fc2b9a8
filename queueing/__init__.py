"""Skill-based call queues: definitions, routing policy and the Redis store.

Modules: `definitions` (the queue model), `loader` (its YAML reader, every error with
file:line:col), `config` (the public entry: `load_queues`, `parse_queues`, the model names),
`policy` (pure routing: which waiting call goes to which free agent), `model` (records the
store returns), `rows` (Redis hashes decoded into those records), `connection` (the Redis
client: deadlines, the bounded wait while Redis loads, error translation, Lua scripts),
`store` (`RedisQueueStore`: atomic Lua reservations, events, reaper, stats), `errors` (typed,
under `errorbase`).
Rules: never imports `ivr` (only `errorbase` of ours); `definitions`, `loader`, `config`,
`policy`, `model` and `rows` do no I/O and read no clock.
"""
