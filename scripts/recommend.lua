-- recommend.lua: which product categories is this shopper into right now?
--
-- recommend(input) scores every productType the shopper interacted with and ranks them.
--
-- input:
--   events      list of interactions (default: none):
--                 { userId, productId, eventType, productType, at }
--               eventType weighs the interaction (see WEIGHTS; other types count 1);
--               at is when it happened: unix seconds (a number, fastest) or an ISO-8601
--               string; an event without `at` counts as happening now.
--               Events without a productType are ignored.
--   now         optional: the moment to score at (unix seconds or ISO-8601);
--               default: the engine's clock (time.now()).
--   half_life   optional: how fast interest fades, in seconds (a number) or a duration
--               string ("7d", "36h", "1h30m", "PT12H"); default 7 days. An event one
--               half-life old counts half, two half-lives a quarter, and so on. Future
--               events count fully.
--
-- returns:
--   categories  list of { productType, score, count }, best first; ties (equal rounded
--               scores) in alphabetical order of productType. score = sum over the events
--               of weight * 0.5 ^ (age / half_life), rounded to 3 decimals; count = number
--               of events.
--   top         the productType of the first category, or null when there is none.

local WEIGHTS = { view = 1, click = 2, add_to_cart = 4, purchase = 6 }
local DEFAULT_WEIGHT = 1
local DEFAULT_HALF_LIFE = 7 * 24 * 3600

local type, error, tostring, pcall = type, error, tostring, pcall
local sort = table.sort
local NULL, new_array = json.null, json.array
local time_now, time_parse, time_duration = time.now, time.parse, time.duration

-- Unix seconds from a number (kept as is) or an ISO-8601 string.
local function seconds_of(value, what)
  local t = type(value)
  if t == "number" then return value end
  if t == "string" then return time_parse(value) end
  error(what .. " must be unix seconds or an ISO-8601 string, got " .. t, 2)
end

local function half_life_of(value)
  if value == nil or value == NULL then return DEFAULT_HALF_LIFE end
  local seconds = value
  if type(value) == "string" then
    local ok, parsed = pcall(time_duration, value)
    seconds = ok and parsed or nil
  end
  if type(seconds) ~= "number" or seconds <= 0 then
    error("half_life must be a positive number of seconds or a duration like \"7d\", got "
      .. tostring(value), 2)
  end
  return seconds
end

-- Sorts categories best first, equal scores by name. Insertion sort: a shopper has a
-- handful of categories, and inline comparisons beat table.sort's calls into Lua.
local function rank(list, n)
  if n > 32 then
    sort(list, function(a, b)
      if a.score ~= b.score then return a.score > b.score end
      return a.productType < b.productType
    end)
    return
  end
  for i = 2, n do
    local c = list[i]
    local score, name = c.score, c.productType
    local j = i - 1
    while j > 0 do
      local d = list[j]
      local d_score = d.score
      if d_score > score or (d_score == score and d.productType < name) then break end
      list[j + 1] = d
      j = j - 1
    end
    list[j + 1] = c
  end
end

-- One table per category, found by name; it becomes the output entry. Returns the list
-- (a json.array) and its length. decay(age) = 0.5 ^ (age / half_life) = 0.5 ^ (age * r).
--
-- The fast path: every event's `at` is a number (what the engine sends). It does no type
-- checks per event: `at < now` raises for a string, json.null or nil, and an unusual
-- productType raises too; recommend() then runs accumulate() below, which handles (or
-- reports) them. Both compute the same weights.
local function accumulate_numeric(events, now, r)
  local weights = WEIGHTS  -- a local: one VM instruction less per event than the upvalue
  local by_name, categories, n = {}, new_array(), 0
  for i = 1, #events do
    local e = events[i]
    local weight = weights[e.eventType] or DEFAULT_WEIGHT
    local at = e.at
    if at < now then weight = weight * 0.5 ^ ((now - at) * r) end
    local product_type = e.productType
    local c = by_name[product_type]
    if c ~= nil then
      c.score = c.score + weight
      c.count = c.count + 1
    else
      if type(product_type) ~= "string" or product_type == "" then error() end
      n = n + 1
      c = { productType = product_type, score = weight, count = 1 }
      by_name[product_type] = c
      categories[n] = c
    end
  end
  return categories, n
end

-- The general path: `at` may be missing, null or an ISO-8601 string; events without a
-- productType are ignored.
local function accumulate(events, now, r)
  local by_name, categories, n = {}, new_array(), 0
  for i = 1, #events do
    local e = events[i]
    local product_type = e.productType
    local weight = WEIGHTS[e.eventType] or DEFAULT_WEIGHT
    local at = e.at
    if at ~= nil and at ~= NULL then
      if type(at) ~= "number" then at = seconds_of(at, "$.events[" .. (i - 1) .. "].at") end
      if at < now then weight = weight * 0.5 ^ ((now - at) * r) end
    end
    local c = by_name[product_type]
    if c ~= nil then
      c.score = c.score + weight
      c.count = c.count + 1
    elseif product_type ~= nil and product_type ~= "" and product_type ~= NULL then
      if type(product_type) ~= "string" then
        error("$.events[" .. (i - 1) .. "].productType must be a string, got "
          .. type(product_type))
      end
      n = n + 1
      c = { productType = product_type, score = weight, count = 1 }
      by_name[product_type] = c
      categories[n] = c
    end
  end
  return categories, n
end

function recommend(input)
  local events = input.events
  if events == nil or events == NULL then events = {} end
  local now = input.now
  if now == nil or now == NULL then now = time_now() else now = seconds_of(now, "now") end
  local r = 1 / half_life_of(input.half_life)

  local ok, categories, n = pcall(accumulate_numeric, events, now, r)
  if not ok then categories, n = accumulate(events, now, r) end

  for i = 1, n do
    local c = categories[i]
    c.score = (c.score * 1000 + 0.5) // 1 / 1000  -- rounded to 3 decimals
  end
  rank(categories, n)
  return { categories = categories, top = n > 0 and categories[1].productType or NULL }
end
