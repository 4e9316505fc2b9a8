-- A connected call ended. ARGV: prefix, now, maxlen, call_id, handle_times_kept.
-- Records the handle time for estimated waits, puts the agent in wrap_up (or ready).
-- Returns 'ok' or 'not_connected'.
local c, kept = ARGV[4], tonumber(ARGV[5])
local ck = kcall(c)
local f = redis.call('HMGET', ck, 'state', 'agent_id', 'queue', 'answered_at_s', 'wrap_up_s')
if f[1] ~= 'connected' then return 'not_connected' end
local wrap = tonumber(f[5])
local a, q = f[2], f[3]
local handled = NOW - tonumber(f[4])
redis.call('LPUSH', P .. 'handle_times:' .. q, num(handled))
redis.call('LTRIM', P .. 'handle_times:' .. q, 0, kept - 1)
redis.call('DEL', ck)
event('call_ended', 'call_id', c, 'queue', q, 'agent_id', a, 'handle_s', num(handled))
local ak = kagent(a)
if redis.call('HGET', ak, 'call_id') == c then
  redis.call('HINCRBY', ak, 'calls_handled', 1)
  redis.call('HSET', ak, 'call_id', '', 'last_call_end_s', num(NOW))
  if wrap > 0 then
    agent_state(a, 'wrap_up', 'after_call_work')
    redis.call('ZADD', K_WRAPUPS, num(NOW + wrap), a)
  else
    agent_state(a, 'ready', '')
  end
end
return 'ok'
