-- Shared by the budget scripts (prepended to each): the clock, integer formatting and the calendar
-- periods of QuotaPeriod.java, in UTC, so that every replica and the in-process store count alike.
local function int(x) return string.format('%d', x) end

-- The server's clock, in epoch milliseconds; a test may pass its own as the last argument.
local function now_millis(override)
  if override and override ~= '' then return tonumber(override) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Howard Hinnant's civil-from-days and days-from-civil (proleptic Gregorian, day 0 = 1970-01-01).
local function civil(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m
end

local function days(y, m)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5)
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end

-- The start and end of the period that holds now.
local function period_bounds(period, now)
  local day = 86400000
  if period == 'HOURLY' then
    local start = math.floor(now / 3600000) * 3600000
    return start, start + 3600000
  elseif period == 'DAILY' then
    local start = math.floor(now / day) * day
    return start, start + day
  elseif period == 'WEEKLY' then
    local d = math.floor(now / day)
    -- Day 0 was a Thursday; ISO weeks start on Monday.
    local start = (d - (d + 3) % 7) * day
    return start, start + 7 * day
  end
  local y, m = civil(math.floor(now / day))
  if period == 'MONTHLY' then
    local ny, nm = y, m + 1
    if nm == 13 then ny, nm = y + 1, 1 end
    return days(y, m) * day, days(ny, nm) * day
  end
  return days(y, 1) * day, days(y + 1, 1) * day
end

-- Sums the window's slots that still count at this second, and deletes those that aged out.
-- A slot counts until its whole second is more than 60 s old (TokenWindow.java).
local function window(key, second)
  local used, slots = 0, {}
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local s, v = tonumber(all[i]), tonumber(all[i + 1])
    if s <= second - 61 then
      redis.call('HDEL', key, all[i])
    elseif s <= second then
      used = used + v
      slots[#slots + 1] = { s, v }
    end
  end
  return used, slots
end

local function period_used(key, start)
  local stored = redis.call('HMGET', key, 'start', 'used')
  if tonumber(stored[1]) == start then return tonumber(stored[2]) or 0, true end
  return 0, false
end
