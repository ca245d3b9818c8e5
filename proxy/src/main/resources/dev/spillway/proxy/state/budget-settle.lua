-- KEYS: as budget-reserve.lua. ARGV: the reservation's window second, its period start (-1: none),
-- the change (used - reserved), [now for tests]. A slot that aged out, or a period that ended, is left alone.
local slot, period_start, change = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local second = math.floor(now_millis(ARGV[4]) / 1000)
if slot > second - 61 then
  local held = redis.call('HGET', KEYS[1], int(slot))
  if held then
    redis.call('HSET', KEYS[1], int(slot), int(math.max(0, tonumber(held) + change)))
  end
end
if period_start >= 0 then
  local used, same = period_used(KEYS[2], period_start)
  if same then
    redis.call('HSET', KEYS[2], 'used', int(math.max(0, used + change)))
  end
end
return 1
