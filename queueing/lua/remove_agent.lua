-- An admin removes an agent. ARGV: prefix, now, maxlen, agent_id. Only a logged-out agent
-- (it holds no call, no offer, no wrap-up) may go. Returns 'ok', 'unknown' or 'logged_in'.
local a = ARGV[4]
local ak = kagent(a)
local state = redis.call('HGET', ak, 'state')
if not state then return 'unknown' end
if state ~= 'logged_out' then return 'logged_in' end
redis.call('DEL', ak)
redis.call('SREM', P .. 'agents', a)
redis.call('SREM', K_READY, a)
redis.call('ZREM', K_WRAPUPS, a)
event('agent_removed', 'agent_id', a)
return 'ok'
