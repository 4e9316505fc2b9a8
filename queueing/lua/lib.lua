-- Shared helpers, prepended to every queueing script (queueing/store.py loads lib.lua + body).
-- Rules: no clock here (now comes in ARGV[2]); numbers are written with %.17g so ranks and
-- times survive the round trip; every change appends one event to the stream.
-- Keys are built from the prefix (ARGV[1]): single-instance Redis, not Cluster.
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local MAXLEN = ARGV[3]

local function num(x) return string.format('%.17g', x) end
local function kcall(id) return P .. 'call:' .. id end
local function kagent(id) return P .. 'agent:' .. id end
local function kclass(q, c) return P .. 'q:' .. q .. ':' .. c end
local function ksince(q) return P .. 'q:' .. q .. ':since' end
local function kstats(q, day) return P .. 'stats:' .. q .. ':' .. day end
local K_READY = P .. 'agents:ready'
local K_OFFERS = P .. 'offers'
local K_WRAPUPS = P .. 'wrapups'
local K_EVENTS = P .. 'events'
local STATS_TTL_S = 8 * 86400

local function event(kind, ...)
  redis.call('XADD', K_EVENTS, 'MAXLEN', '~', MAXLEN, '*', 'type', kind, 'at', num(NOW), ...)
end

local function stat(q, day, field, by)
  local k = kstats(q, day)
  redis.call('HINCRBYFLOAT', k, field, by)
  redis.call('EXPIRE', k, STATS_TTL_S)
end

local function agent_state(a, state, reason)
  local ak = kagent(a)
  redis.call('HSET', ak, 'state', state, 'reason', reason, 'state_since_s', num(NOW))
  if state == 'ready' then
    redis.call('SADD', K_READY, a)
  else
    redis.call('SREM', K_READY, a)
  end
  if state ~= 'wrap_up' then redis.call('ZREM', K_WRAPUPS, a) end
  event('agent_state', 'agent_id', a, 'state', state, 'reason', reason)
end

-- Rank of a waiting call (lower = served first); mirrors queueing.policy.queue_rank.
local function rank(priority, order_at, w, vip_pts, normal_pts)
  if priority == 'emergency' then return order_at * w - 1e13 end
  if priority == 'vip' then return order_at * w - vip_pts end
  return order_at * w - normal_pts
end

-- Put an offered call back at the head of its class, keeping its enqueue time (so its wait);
-- the agent counts one unanswered offer and goes not_ready(no_answer) after max_unanswered.
local function release_offer(c, reason, max_unanswered, w, vip_pts, normal_pts)
  local ck = kcall(c)
  local f = redis.call('HMGET', ck, 'state', 'queue', 'priority', 'enqueued_at_s', 'order_at_s', 'agent_id')
  redis.call('ZREM', K_OFFERS, c)
  if f[1] ~= 'offered' then return 0 end
  local q, prio, a = f[2], f[3], f[6]
  local order = tonumber(f[5])
  local head = redis.call('ZRANGE', kclass(q, prio), 0, 0)[1]
  if head then
    local head_order = tonumber(redis.call('HGET', kcall(head), 'order_at_s'))
    if head_order and head_order - 0.001 < order then order = head_order - 0.001 end
  end
  redis.call('HSET', ck, 'state', 'waiting', 'agent_id', '', 'order_at_s', num(order))
  redis.call('ZADD', kclass(q, prio), num(rank(prio, order, w, vip_pts, normal_pts)), c)
  redis.call('ZADD', ksince(q), f[4], c)
  event('call_requeued', 'call_id', c, 'queue', q, 'agent_id', a, 'reason', reason)
  local ak = kagent(a)
  if redis.call('HGET', ak, 'state') == 'reserved' and redis.call('HGET', ak, 'call_id') == c then
    redis.call('HSET', ak, 'call_id', '')
    local missed = redis.call('HINCRBY', ak, 'unanswered', 1)
    if missed >= max_unanswered then
      agent_state(a, 'not_ready', 'no_answer')
    else
      agent_state(a, 'ready', '')
    end
  end
  return 1
end
