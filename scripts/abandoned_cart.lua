-- abandoned_cart.lua: the decisions of workflows/checkouts.yaml and workflows/abandoned-cart.yaml
-- other than email timing (scripts/email_timing.lua). Pure functions: input in, value out.
-- docs/cookbook/abandoned-carts.md explains the flow; the test cases are in
-- scripts/abandoned_cart.test.yaml.

local NULL = json.null
local floor = math.floor

local function given(value) return value ~= nil and value ~= NULL end
local function text(value)
  if type(value) == "string" and value ~= "" then return value end
  return nil
end

-- Unix seconds of an ISO-8601 string or a number; nil when absent.
local function seconds(value)
  if type(value) == "number" then return floor(value) end
  if type(value) == "string" and value ~= "" then return floor(time.parse(value)) end
  return nil
end

-- The value of note attribute `name` (Shopify: [{name, value}]), or nil.
local function note_attribute(checkout, name)
  local attributes = checkout.note_attributes
  if type(attributes) ~= "table" then return nil end
  for _, a in ipairs(attributes) do
    if type(a) == "table" and a.name == name then return text(a.value) end
  end
  return nil
end

-- Whether the customer agreed to marketing email: the checkout's
-- buyer_accepts_marketing, else the customer's email_marketing_consent.state
-- ("subscribed"), else the older customer.accepts_marketing. Unknown: nil.
local function accepts_marketing(checkout)
  if type(checkout.buyer_accepts_marketing) == "boolean" then
    return checkout.buyer_accepts_marketing
  end
  local customer = checkout.customer
  if type(customer) == "table" then
    local consent = customer.email_marketing_consent
    if type(consent) == "table" and text(consent.state) then
      return consent.state == "subscribed"
    end
    if type(customer.accepts_marketing) == "boolean" then return customer.accepts_marketing end
  end
  return nil
end

-- contact({checkout, previous}): what checkouts/create|update tell about the buyer of a
-- cart, as the `checkouts` record keyed by the cart token. `previous` is the record
-- stored so far (or nil): a delivery older than it (updated_at) changes nothing.
-- Returns { save = false, reason } or { save = true, record = {...} }.
function contact(input)
  local checkout = input.checkout
  if type(checkout) ~= "table" then error("checkout must be the checkouts/* payload") end
  local cart_token = text(checkout.cart_token)
  if not cart_token then return { save = false, reason = "no_cart_token" } end
  local updated = seconds(checkout.updated_at) or seconds(checkout.created_at) or 0
  local previous = input.previous
  if given(previous) and type(previous) == "table" and given(previous.checkout_updated_at) then
    if updated < previous.checkout_updated_at then
      return { save = false, reason = "older_than_stored" }
    end
  end
  local customer = type(checkout.customer) == "table" and checkout.customer or {}
  local first = text(customer.first_name)
  local last = text(customer.last_name)
  local address = type(checkout.billing_address) == "table" and checkout.billing_address or {}
  first = first or text(address.first_name)
  last = last or text(address.last_name)
  local name = nil
  if first and last then name = first .. " " .. last else name = first or last end
  return {
    save = true,
    record = {
      cart_token = cart_token,
      checkout_token = text(checkout.token) or NULL,
      email = text(checkout.email) or text(customer.email) or NULL,
      first_name = first or NULL,
      name = name or NULL,
      -- The storefront can pass the browser's zone as a note attribute; else the customer's.
      timezone = note_attribute(checkout, "timezone") or text(customer.timezone) or NULL,
      locale = text(checkout.customer_locale) or text(customer.locale) or NULL,
      accepts_marketing = accepts_marketing(checkout) == nil and NULL or accepts_marketing(checkout),
      recovery_url = text(checkout.abandoned_checkout_url) or NULL,
      completed_at = text(checkout.completed_at) or NULL,
      checkout_updated_at = updated,
    },
  }
end

-- recipient({checkout, cart}): who gets the recovery emails of a cart. `checkout` is the
-- `checkouts` record (or nil), `cart` the Storefront cart (its buyerIdentity is the
-- fallback for the email). Returns { email, name, first_name, timezone, locale,
-- accepts_marketing, recovery_url, source = "checkout" | "buyer_identity" | "none" }.
function recipient(input)
  local checkout = given(input.checkout) and input.checkout or {}
  local cart = given(input.cart) and input.cart or {}
  local identity = type(cart.buyerIdentity) == "table" and cart.buyerIdentity or {}
  local email = text(checkout.email)
  local source = "checkout"
  if not email then
    email = text(identity.email)
    source = email and "buyer_identity" or "none"
  end
  -- Consent comes only from a checkout (true or false); otherwise it is unknown (null).
  local consent = NULL
  if type(checkout.accepts_marketing) == "boolean" then consent = checkout.accepts_marketing end
  return {
    email = email or NULL,
    name = text(checkout.name) or NULL,
    first_name = text(checkout.first_name) or NULL,
    timezone = text(checkout.timezone) or "UTC",
    locale = text(checkout.locale) or NULL,
    accepts_marketing = consent,
    recovery_url = text(checkout.recovery_url) or text(cart.checkoutUrl) or NULL,
    source = source,
  }
end

-- Whole seconds of a duration: a number of seconds, or number+unit pairs such as
-- "24h", "1h30m", "90s", "2d" (units ms, s, m, h, d, w).
local UNIT = { ms = 0.001, s = 1, m = 60, h = 3600, d = 86400, w = 604800 }
local function duration_seconds(value)
  if type(value) == "number" then return value end
  if type(value) ~= "string" or value == "" then error("a duration is required, got " .. tostring(value)) end
  local total, rest = 0, value
  while rest ~= "" do
    local number, unit, tail = rest:match("^(%d+%.?%d*)(%a+)(.*)$")
    if not number or not UNIT[unit] then error("invalid duration \"" .. value .. "\" (e.g. 24h, 30m)") end
    total = total + tonumber(number) * UNIT[unit]
    rest = tail
  end
  return floor(total)
end

-- gate({recipient, cap, cart_token, now, frequency_cap}): whether this email may go out.
-- `cap` is the `recovery_emails` record of the address (or nil): {cart_token, sent_at};
-- `frequency_cap` a duration ("24h") or seconds.
-- `require_consent` (default true): whether a buyer whose consent is unknown (no
-- checkout said) gets no email. A buyer who said no never gets one.
-- Returns { send = true } or { send = false, reason = "no_email" | "unsubscribed" |
-- "no_consent" | "frequency_cap" }.
function gate(input)
  local r = input.recipient
  if type(r) ~= "table" or not text(r.email) then return { send = false, reason = "no_email" } end
  if r.accepts_marketing == false then return { send = false, reason = "unsubscribed" } end
  if r.accepts_marketing ~= true and input.require_consent ~= false then
    return { send = false, reason = "no_consent" }
  end
  local cap = input.cap
  if given(cap) and type(cap) == "table" and cap.cart_token ~= input.cart_token
      and given(cap.sent_at) then
    local now = seconds(input.now) or floor(time.now())
    local window = given(input.frequency_cap) and duration_seconds(input.frequency_cap) or 0
    if now - seconds(cap.sent_at) < window then
      return { send = false, reason = "frequency_cap" }
    end
  end
  return { send = true }
end

-- outcome({record, now}): the cart's status once its order is seen: "recovered" with
-- the number of the last email sent before the order (the record's emails_at), or
-- "converted" when none was. The order's time is the record's ordered_at
-- (workflows/cart-orders.yaml), else `now`.
function outcome(input)
  local record = given(input.record) and input.record or {}
  local ordered = seconds(record.ordered_at) or seconds(input.now) or floor(time.now())
  local last = 0
  if type(record.emails_at) == "table" then
    for number, at in pairs(record.emails_at) do
      local n = tonumber(number)
      if n and n > last and seconds(at) < ordered then last = n end
    end
  end
  if last > 0 then
    return { status = "recovered", recovered_after_email = last, ordered_at = ordered }
  end
  return { status = "converted", ordered_at = ordered }
end

-- The decimal amount of a money string or number; 0 when absent.
local function amount(value)
  if type(value) == "number" then return value end
  if type(value) == "string" then return tonumber(value) or 0 end
  return 0
end

-- email_data({cart, storefront, recipient, email_number}): what the cart-reminder
-- templates read: items (title, quantity, price, line_price, image, url), total,
-- currency, recovery_url, first_name, email_number.
function email_data(input)
  local cart = given(input.cart) and input.cart or {}
  local storefront = given(input.storefront) and input.storefront or {}
  local r = given(input.recipient) and input.recipient or {}
  local items = {}
  local sum = 0
  local lines = type(cart.line_items) == "table" and cart.line_items or {}
  for _, line in ipairs(lines) do
    local quantity = tonumber(line.quantity) or 1
    local price = amount(line.price)
    local line_price = given(line.line_price) and amount(line.line_price) or price * quantity
    sum = sum + line_price
    local image = line.image_url or line.image
    if type(image) == "table" then image = image.src or image.url end
    items[#items + 1] = {
      title = tostring(line.title or line.product_title or "Item"),
      quantity = quantity,
      price = string.format("%.2f", price),
      line_price = string.format("%.2f", line_price),
      image = text(image) or "",
    }
  end
  local cost = type(storefront.cost) == "table" and storefront.cost or {}
  local total = type(cost.totalAmount) == "table" and cost.totalAmount or {}
  local currency = text(total.currencyCode) or text(cart.currency) or "USD"
  local value = given(total.amount) and amount(total.amount) or sum
  return {
    items = items,
    item_count = #items,
    total = string.format("%.2f", value),
    total_value = value,
    currency = currency,
    recovery_url = text(r.recovery_url) or "",
    first_name = text(r.first_name) or "",
    email_number = input.email_number,
  }
end
