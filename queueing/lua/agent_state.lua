-- An agent (or supervisor) changes the agent's state. ARGV: prefix, now, maxlen, agent_id,
-- state (logged_out|ready|not_ready), reason. Refused while reserved or on a call.
-- Returns 'ok', 'unknown' or 'busy'.
local a, state, reason = ARGV[4], ARGV[5], ARGV[6]
local ak = kagent(a)
local current = redis.call('HGET', ak, 'state')
if not current then return 'unknown' end
if current == 'reserved' or current == 'on_call' then return 'busy' end
if state == 'ready' then redis.call('HSET', ak, 'unanswered', 0) end
agent_state(a, state, reason)
return 'ok'
