-- big_orders.lua: is a new order big enough for VIP treatment? (docs/quickstart.md)
-- input:  { total_price = "749.00" (Shopify's decimal text), threshold = 500 (whole units) }
-- output: { big = true|false, total_cents = 74900 }
-- Money is counted in whole cents, never in floating point.

local function cents(price)
  local units, fraction = string.match(tostring(price), "^(%d+)%.?(%d?%d?)$")
  if units == nil then error("total_price is not a price: " .. tostring(price), 2) end
  return tonumber(units) * 100 + tonumber((fraction .. "00"):sub(1, 2))
end

function classify(input)
  local total = cents(input.total_price)
  return { big = total >= input.threshold * 100, total_cents = total }
end
