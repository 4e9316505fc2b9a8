"""Skill-based call queues: definitions, routing policy and the Redis store.

Modules: `config` (queue definitions and their YAML loader), `policy` (pure routing: which
waiting call goes to which free agent), `model` (records the store returns), `store`
(`RedisQueueStore`: atomic Lua reservations, events, reaper, stats), `errors`.
Rules: never imports `ivr`; `config`, `policy` and `model` do no I/O and read no clock.
"""
