-- KEYS: as budget-reserve.lua. ARGV: quota (0: none), period, [now for tests].
-- Returns {minuteUsed, quotaUsed, periodEnd, now}.
local quota, period = tonumber(ARGV[1]), ARGV[2]
local now = now_millis(ARGV[3])
local minute_used = window(KEYS[1], math.floor(now / 1000))
local quota_used, period_end = 0, -1
if quota > 0 then
  local start
  start, period_end = period_bounds(period, now)
  quota_used = period_used(KEYS[2], start)
end
return { int(minute_used), int(quota_used), int(period_end), int(now) }
