-- The agent answered an offered call. ARGV: prefix, now, maxlen, call_id, agent_id, day.
-- Returns 'ok' or the reason it cannot ('unknown', 'not_offered').
local c, a, day = ARGV[4], ARGV[5], ARGV[6]
local ck, ak = kcall(c), kagent(a)
local f = redis.call('HMGET', ck, 'state', 'agent_id', 'queue', 'enqueued_at_s', 'sl_within_s')
if not f[1] then return 'unknown' end
local within = tonumber(f[5])
if f[1] ~= 'offered' or f[2] ~= a or redis.call('HGET', ak, 'call_id') ~= c then
  return 'not_offered'
end
local waited = NOW - tonumber(f[4])
redis.call('HSET', ck, 'state', 'connected', 'answered_at_s', num(NOW))
redis.call('HSET', ak, 'unanswered', 0)
redis.call('ZREM', K_OFFERS, c)
stat(f[3], day, 'answered', 1)
stat(f[3], day, 'answered_wait_s', waited)
if waited <= within then stat(f[3], day, 'answered_in_sl', 1) end
event('call_answered', 'call_id', c, 'queue', f[3], 'agent_id', a, 'waited_s', num(waited))
agent_state(a, 'on_call', '')
redis.call('HSET', ak, 'call_id', c)
return 'ok'
