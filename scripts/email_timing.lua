-- email_timing.lua: when to send the next abandoned-cart recovery email, and which one.
--
-- next_email(input) decides for one cart, each time the workflow asks.
--
-- input:
--   cart_value    number: the cart total (any currency; HIGH_VALUE below is in it)
--   items         the cart's line items (a list) or their count (a number)
--   timezone      the customer's IANA zone ("America/Los_Angeles"); default "UTC"
--   emails_sent   how many recovery emails went out already (default 0)
--   abandoned_at  when the cart was abandoned (ISO-8601 string or unix seconds); required
--   last_sent_at  optional: when the previous email went out
--   now           optional: the moment to decide at; default the engine's clock (time.now())
--
-- returns either
--   { action = "send", email_number = 1..3, template = "cart-reminder-N",
--     send_at = ISO-8601 UTC, send_at_local = ISO-8601 in the customer's zone,
--     delay_seconds = whole seconds from now, delay = the same as a duration ("3600s") }
-- or
--   { action = "stop", reason = "max_emails_reached" | "empty_cart" | "expired" }
--
-- The rules:
--   * at most MAX_EMAILS emails; an empty cart (no items or a value <= 0) gets none; nothing
--     is sent for a cart abandoned more than MAX_AGE ago;
--   * email N is due SCHEDULE[N] after abandonment (1 h, 24 h, 72 h), and at least MIN_GAP
--     (12 h) after the previous email;
--   * a due time already past means "now";
--   * quiet hours: a due time from 21:00 to 07:59 in the customer's local time is deferred
--     to 08:00 local time (the next morning, or the same morning after midnight), never
--     skipped; daylight-saving changes are respected;
--   * the third email of a cart worth more than HIGH_VALUE uses "cart-reminder-3-discount".

local MAX_EMAILS = 3
local SCHEDULE = { 3600, 24 * 3600, 72 * 3600 } -- after abandonment, for emails 1, 2, 3
local MIN_GAP = 12 * 3600
local MAX_AGE = 7 * 24 * 3600
local QUIET_FROM_HOUR, QUIET_UNTIL_HOUR = 21, 8
local HIGH_VALUE = 200

local NULL = json.null
local floor = math.floor

local function given(value) return value ~= nil and value ~= NULL end

-- Whole unix seconds from unix seconds or an ISO-8601 string.
local function seconds_of(value, what)
  local t = type(value)
  if t == "number" then return floor(value) end
  if t == "string" then return floor(time.parse(value)) end
  error(what .. " must be an ISO-8601 string or unix seconds, got " .. t, 2)
end

local function item_count(items)
  if not given(items) then return 0 end
  if type(items) == "table" then return #items end
  if type(items) == "number" then return items end
  error("items must be a list or a number, got " .. type(items), 2)
end

-- The first moment at or after `t` outside quiet hours in zone `tz`.
local function outside_quiet_hours(t, tz)
  local lt = time.to_local(t, tz)
  if lt.hour >= QUIET_UNTIL_HOUR and lt.hour < QUIET_FROM_HOUR then return t end
  if lt.hour >= QUIET_FROM_HOUR then
    -- Evening: 08:00 on the next calendar day (day + 1 rolls over into the next month).
    lt.day = lt.day + 1
  end
  return time.from_local({ year = lt.year, month = lt.month, day = lt.day,
                           hour = QUIET_UNTIL_HOUR, min = 0, sec = 0 }, tz)
end

function next_email(input)
  local sent = input.emails_sent
  if not given(sent) then sent = 0 end
  if type(sent) ~= "number" or sent < 0 or sent ~= floor(sent) then
    error("emails_sent must be a whole number >= 0, got " .. tostring(sent))
  end
  sent = floor(sent)
  if sent >= MAX_EMAILS then return { action = "stop", reason = "max_emails_reached" } end

  local value = input.cart_value
  if type(value) ~= "number" then
    error("cart_value must be a number, got " .. type(value))
  end
  if value <= 0 or item_count(input.items) == 0 then
    return { action = "stop", reason = "empty_cart" }
  end

  if not given(input.abandoned_at) then error("abandoned_at is required") end
  local abandoned = seconds_of(input.abandoned_at, "abandoned_at")
  local now
  if given(input.now) then now = seconds_of(input.now, "now") else now = floor(time.now()) end
  if now - abandoned > MAX_AGE then return { action = "stop", reason = "expired" } end

  local n = sent + 1
  local due = abandoned + SCHEDULE[n]
  if given(input.last_sent_at) then
    local gap_end = seconds_of(input.last_sent_at, "last_sent_at") + MIN_GAP
    if gap_end > due then due = gap_end end
  end
  if due < now then due = now end

  local tz = input.timezone
  if not given(tz) then tz = "UTC" end
  if type(tz) ~= "string" then error("timezone must be an IANA name, got " .. type(tz)) end
  due = outside_quiet_hours(due, tz)

  local template = "cart-reminder-" .. n
  if n == 3 and value > HIGH_VALUE then template = template .. "-discount" end
  local delay = floor(due - now)
  return {
    action = "send",
    email_number = n,
    template = template,
    send_at = time.format(due),
    send_at_local = time.format(due, tz),
    delay_seconds = delay,
    delay = delay .. "s",
  }
end
