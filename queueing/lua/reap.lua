-- Release offers past their ring deadline (call back at the head of its class, agent counts an
-- unanswered offer) and end wrap-ups past their time. ARGV: prefix, now, maxlen,
-- max_unanswered, aging_weight, vip_points, normal_points, limit, grace_s, then the call ids
-- whose owner knows their agent still rings. With such ids (or grace_s 0) those offers go at
-- their deadline; every other offer only grace_s after it (its owner is gone silent: an
-- answer may be on its way).
-- Returns {released call ids, readied agent ids}.
local max_unanswered, w = tonumber(ARGV[4]), tonumber(ARGV[5])
local vip_pts, normal_pts, limit = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local grace = tonumber(ARGV[9])
local released, readied = {}, {}
local function release(c)
  if #released < limit and release_offer(c, 'no_answer', max_unanswered, w, vip_pts, normal_pts) == 1 then
    released[#released + 1] = c
  end
end
for i = 10, #ARGV do
  local due = redis.call('ZSCORE', K_OFFERS, ARGV[i])
  if due and tonumber(due) <= NOW then release(ARGV[i]) end
end
local cutoff = num(NOW - grace)
for _, c in ipairs(redis.call('ZRANGEBYSCORE', K_OFFERS, '-inf', cutoff, 'LIMIT', 0, limit)) do
  release(c)
end
for _, a in ipairs(redis.call('ZRANGEBYSCORE', K_WRAPUPS, '-inf', ARGV[2], 'LIMIT', 0, limit)) do
  redis.call('ZREM', K_WRAPUPS, a)
  if redis.call('HGET', kagent(a), 'state') == 'wrap_up' then
    agent_state(a, 'ready', '')
    readied[#readied + 1] = a
  end
end
return {released, readied}
