-- An offered call was not answered (or the agent refused it): back at the head of its class.
-- ARGV: prefix, now, maxlen, call_id, agent_id, max_unanswered, aging_weight, vip_points,
-- normal_points, reason. Returns 'ok' or 'not_offered'.
local c, a = ARGV[4], ARGV[5]
if redis.call('HGET', kcall(c), 'agent_id') ~= a then return 'not_offered' end
local done = release_offer(c, ARGV[10], tonumber(ARGV[6]), tonumber(ARGV[7]),
  tonumber(ARGV[8]), tonumber(ARGV[9]))
if done == 1 then return 'ok' end
return 'not_offered'
