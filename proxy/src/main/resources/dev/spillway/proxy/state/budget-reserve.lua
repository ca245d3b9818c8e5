-- KEYS: the caller's window (a hash of epoch second -> tokens) and its period counter (start, used).
-- ARGV: tokens, per-minute limit (0: none), quota (0: none), period, [now for tests].
-- Returns {'ok', second, periodStart, minuteUsed, quotaUsed, periodEnd, now}
--      or {'minute', minuteUsed, retryAt, neverFits, quotaUsed, periodEnd, now}
--      or {'quota', quotaUsed, periodEnd, minuteUsed, now}; minuteUsed and quotaUsed are before this request.
local tokens, per_minute, quota, period = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now = now_millis(ARGV[5])
local second = math.floor(now / 1000)
local minute_used, slots = window(KEYS[1], second)
local period_start, period_end, quota_used, same_period = -1, -1, 0, false
if quota > 0 then
  period_start, period_end = period_bounds(period, now)
  quota_used, same_period = period_used(KEYS[2], period_start)
  if quota_used >= quota then
    return { 'quota', int(quota_used), int(period_end), int(minute_used), int(now) }
  end
end
if per_minute > 0 and (tokens > per_minute or minute_used >= per_minute) then
  local never_fits = tokens > per_minute
  local retry_at = now
  if not never_fits then
    -- The first moment the window holds less than the limit, as its oldest slots age out.
    table.sort(slots, function(a, b) return a[1] < b[1] end)
    local used = minute_used
    retry_at = (second + 61) * 1000
    for _, slot in ipairs(slots) do
      used = used - slot[2]
      if used < per_minute then
        retry_at = (slot[1] + 61) * 1000
        break
      end
    end
  end
  return { 'minute', int(minute_used), int(retry_at), never_fits and 1 or 0, int(quota_used), int(period_end), int(now) }
end
redis.call('HINCRBY', KEYS[1], int(second), int(tokens))
redis.call('PEXPIRE', KEYS[1], 62000)
if quota > 0 then
  if same_period then
    redis.call('HINCRBY', KEYS[2], 'used', int(tokens))
  else
    redis.call('HSET', KEYS[2], 'start', int(period_start), 'used', int(tokens))
  end
  -- Kept a day past its period, so a late settlement still finds it and a restart finds the count.
  redis.call('PEXPIREAT', KEYS[2], int(period_end + 86400000))
end
return { 'ok', int(second), int(period_start), int(minute_used), int(quota_used), int(period_end), int(now) }
