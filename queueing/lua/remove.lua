-- A call left before being answered (hangup, timeout, callback or voice message chosen).
-- ARGV: prefix, now, maxlen, call_id, outcome, day. An offered call frees its agent (no
-- unanswered count). Returns the state it had ('waiting', 'offered'), or 'connected' (left
-- untouched: end_call is the way out), or '' (unknown call).
local c, outcome, day = ARGV[4], ARGV[5], ARGV[6]
local ck = kcall(c)
local f = redis.call('HMGET', ck, 'state', 'queue', 'priority', 'agent_id', 'enqueued_at_s')
if not f[1] then return '' end
if f[1] == 'connected' then return 'connected' end
local q = f[2]
redis.call('ZREM', kclass(q, f[3]), c)
redis.call('ZREM', ksince(q), c)
redis.call('ZREM', K_OFFERS, c)
redis.call('DEL', ck)
stat(q, day, outcome, 1)
event('call_removed', 'call_id', c, 'queue', q, 'outcome', outcome,
  'waited_s', num(NOW - tonumber(f[5])))
if f[1] == 'offered' then
  local ak = kagent(f[4])
  if redis.call('HGET', ak, 'call_id') == c then
    redis.call('HSET', ak, 'call_id', '')
    agent_state(f[4], 'ready', '')
  end
end
return f[1]
