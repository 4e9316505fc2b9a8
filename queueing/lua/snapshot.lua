-- Read-only: the facts routing needs, in one round trip. ARGV: prefix, now, maxlen, limit,
-- then queue names. Returns {calls, agents}: agents is a flat list of (agent_id, endpoint,
-- skills_json, state_since_s, last_call_end_s, calls_handled, last_offer_s) for every ready
-- agent; calls is a flat list of (queue, class, call_id, rank, enqueued_at_s) for the first
-- `limit` waiting calls of each class of each queue, left empty when no agent is ready
-- (nothing to decide: the usual state of a busy call centre, and the costly half).
local limit = tonumber(ARGV[4])
local calls, agents = {}, {}
for _, a in ipairs(redis.call('SMEMBERS', K_READY)) do
  local f = redis.call('HMGET', kagent(a), 'state', 'endpoint', 'skills', 'state_since_s',
    'last_call_end_s', 'calls_handled', 'last_offer_s')
  if f[1] == 'ready' then
    agents[#agents + 1] = a
    for j = 2, 7 do agents[#agents + 1] = f[j] or '' end
  end
end
if #agents == 0 then return cjson.encode({calls = calls, agents = agents}) end
for i = 5, #ARGV do
  local q = ARGV[i]
  for _, cls in ipairs({'emergency', 'vip', 'normal'}) do
    local head = redis.call('ZRANGE', kclass(q, cls), 0, limit - 1, 'WITHSCORES')
    if #head > 0 then
      local ids = {}
      for j = 1, #head, 2 do ids[#ids + 1] = head[j] end
      local since = redis.call('ZMSCORE', ksince(q), unpack(ids))
      for j = 1, #ids do
        if since[j] then
          calls[#calls + 1] = q
          calls[#calls + 1] = cls
          calls[#calls + 1] = ids[j]
          calls[#calls + 1] = head[2 * j]
          calls[#calls + 1] = since[j]
        end
      end
    end
  end
end
-- one JSON string: a single bulk reply parses far faster than a thousand small ones
return cjson.encode({calls = calls, agents = agents})
