-- ARGV: prefix, now, maxlen, call_id, queue, priority, enqueued_at_s, rank, day, info_json,
-- service_level_within_s, wrap_up_s (the queue's settings ride with the call). Returns 1, or 0
-- if the call is already known.
local c, q, prio, rk, day = ARGV[4], ARGV[5], ARGV[6], ARGV[8], ARGV[9]
local ck = kcall(c)
if redis.call('EXISTS', ck) == 1 then return 0 end
redis.call('HSET', ck, 'call_id', c, 'queue', q, 'priority', prio, 'enqueued_at_s', ARGV[7],
  'order_at_s', ARGV[7], 'state', 'waiting', 'agent_id', '', 'info', ARGV[10], 'sl_within_s', ARGV[11],
  'wrap_up_s', ARGV[12])
redis.call('ZADD', kclass(q, prio), rk, c)
redis.call('ZADD', ksince(q), ARGV[7], c)
stat(q, day, 'entered', 1)
event('call_queued', 'call_id', c, 'queue', q, 'priority', prio)
return 1
