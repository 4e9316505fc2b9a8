-- Atomic reservation of agents for calls. ARGV: prefix, now, maxlen, then triples
-- (call_id, agent_id, deadline_s). A pair wins only if the call is still waiting and the agent
-- still ready: no agent is offered two calls, no call is offered to two agents.
-- Returns one 1 (reserved) or 0 (stale) per pair.
local out = {}
local now_s = num(NOW)
for i = 4, #ARGV, 3 do
  local c, a, deadline = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local ck, ak = kcall(c), kagent(a)
  local f = redis.call('HMGET', ck, 'state', 'queue', 'priority')
  if f[1] == 'waiting' and redis.call('HGET', ak, 'state') == 'ready' then
    redis.call('ZREM', kclass(f[2], f[3]), c)
    redis.call('ZREM', ksince(f[2]), c)
    redis.call('HSET', ck, 'state', 'offered', 'agent_id', a, 'offered_at_s', now_s)
    redis.call('HSET', ak, 'state', 'reserved', 'reason', '', 'state_since_s', now_s,
      'call_id', c, 'last_offer_s', now_s, 'offer_deadline_s', deadline)
    redis.call('SREM', K_READY, a)
    redis.call('ZADD', K_OFFERS, deadline, c)
    event('call_offered', 'call_id', c, 'queue', f[2], 'agent_id', a)
    event('agent_state', 'agent_id', a, 'state', 'reserved', 'reason', '', 'call_id', c)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
