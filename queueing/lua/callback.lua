-- The caller left a callback request instead of waiting on the line: the call keeps its place
-- (same rank, same enqueue time) and is offered like any other; the app then dials the agent
-- and calls the client back. ARGV: prefix, now, maxlen, call_id, number.
-- Returns 1, or 0 if the call is not waiting.
local c, number = ARGV[4], ARGV[5]
local ck = kcall(c)
local f = redis.call('HMGET', ck, 'state', 'queue')
if f[1] ~= 'waiting' then return 0 end
redis.call('HSET', ck, 'callback_number', number)
event('callback_requested', 'call_id', c, 'queue', f[2])
return 1
