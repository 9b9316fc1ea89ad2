-- store_sync.lua: the decisions of workflows/store-sync.yaml (store-to-store product
-- sync). Pure functions: input in, value out. docs/cookbook/store-sync.md explains the
-- flow and every retailer key; the test cases are in scripts/store_sync.test.yaml.

local NULL = json.null

local function given(value) return value ~= nil and value ~= NULL end
local function text(value)
  if type(value) == "string" and value ~= "" then return value end
  return nil
end

-- "Alpha.myshopify.com" and "alpha" name the same shop.
local function shop_name(value)
  local s = text(value)
  if not s then return nil end
  s = s:lower()
  if not s:find("%.") then s = s .. ".myshopify.com" end
  return s
end

-- The exact decimal text of an id (a 64-bit integer or a decimal string).
local function id_text(value)
  if math.type(value) == "integer" then return string.format("%d", value) end
  if type(value) == "string" and value:match("^%d+$") then return value end
  error("the product id must be an integer, got " .. tostring(value))
end

-- Unix seconds (with milliseconds) of an ISO-8601 time.
local function instant(value)
  if type(value) ~= "string" or value == "" then return nil end
  return time.parse(value)
end

-- Shopify's tags, "a, b" (REST) or {"a", "b"}, as a list of trimmed words.
local function tag_list(tags)
  local out = json.array()
  if type(tags) == "table" then
    for _, t in ipairs(tags) do
      if text(t) then out[#out + 1] = t end
    end
  elseif type(tags) == "string" then
    for t in tags:gmatch("[^,]+") do
      t = t:match("^%s*(.-)%s*$")
      if t ~= "" then out[#out + 1] = t end
    end
  end
  return out
end

local function has_any(tags, wanted)
  local set = {}
  for _, t in ipairs(tags) do set[t:lower()] = true end
  for _, w in ipairs(wanted) do
    if set[tostring(w):lower()] then return true end
  end
  return false
end

-- Cents of a price text ("12.5", "12.50", "12") or number; nil for none.
local function cents(value, where)
  if not given(value) then return nil end
  local s = type(value) == "number" and string.format("%.2f", value) or tostring(value)
  local whole, frac = s:match("^(%d+)%.?(%d*)$")
  if not whole or #frac > 2 then error(where .. ": not a price: " .. s) end
  return math.tointeger(tonumber(whole)) * 100 + math.tointeger(tonumber((frac .. "00"):sub(1, 2)))
end

local function price_text(c) return string.format("%d.%02d", c // 100, c % 100) end

-- The retailer's price for a supplier price: marked up by markup_percent (rounded
-- half up to the cent, in integers: no float error), then, with price_ending, raised
-- to the next price ending in those cents ("0.99": 12.40 -> 12.99, 13.00 -> 13.99).
local function retail_price(supplier_cents, retailer)
  local bp = math.floor((retailer.markup_percent or 0) * 100 + 0.5)  -- basis points
  local c = (supplier_cents * (10000 + bp) + 5000) // 10000
  local ending = retailer.price_ending
  if given(ending) then
    local e = cents(ending, "price_ending") % 100
    local candidate = (c // 100) * 100 + e
    if candidate < c then candidate = candidate + 100 end
    c = candidate
  end
  return c
end

-- Checks one retailer entry of config.retailers and fills in its defaults.
local function retailer_config(r, i)
  local where = "config.retailers[" .. i .. "]"
  if type(r) ~= "table" then error(where .. ": a map {shop, markup_percent, ...} is expected") end
  local shop = shop_name(r.shop)
  if not shop then error(where .. ".shop: the retailer's shop domain is required") end
  local markup = r.markup_percent
  if given(markup) and (type(markup) ~= "number" or markup < -100) then
    error(where .. ".markup_percent: a number of percent (-100 or more) is expected")
  end
  local function list(name)
    local v = r[name]
    if not given(v) then return {} end
    if type(v) ~= "table" then error(where .. "." .. name .. ": a list is expected") end
    return v
  end
  local statuses = list("statuses")
  if #statuses == 0 then statuses = { "active" } end
  local status = text(r.status)
  if status then
    status = status:upper()
    if status ~= "ACTIVE" and status ~= "DRAFT" and status ~= "ARCHIVED" then
      error(where .. ".status: ACTIVE, DRAFT or ARCHIVED (or leave it out to copy the supplier's)")
    end
  end
  return {
    shop = shop,
    markup_percent = given(markup) and markup or 0,
    price_ending = given(r.price_ending) and r.price_ending or nil,
    include_tags = list("include_tags"),
    exclude_tags = list("exclude_tags"),
    statuses = statuses,
    status = status,
  }
end

-- Whether a retailer carries a supplier product, and why not.
local function carries(product, retailer)
  local status = (text(product.status) or "active"):lower()
  local allowed = false
  for _, s in ipairs(retailer.statuses) do
    if tostring(s):lower() == status then allowed = true end
  end
  if not allowed then return false, "status " .. status end
  local tags = tag_list(product.tags)
  if #retailer.include_tags > 0 and not has_any(tags, retailer.include_tags) then
    return false, "no included tag"
  end
  if has_any(tags, retailer.exclude_tags) then return false, "excluded tag" end
  return true
end

-- The retailer's copy of a supplier product: Shopify's ProductSetInput.
function copy(input)
  local product, retailer = input.product, retailer_config(input.retailer, 1)
  if type(product) ~= "table" then error("product must be the products/* payload") end
  local out = {
    title = text(product.title) or error("product.title is required"),
    descriptionHtml = given(product.body_html) and product.body_html or "",
    vendor = given(product.vendor) and product.vendor or "",
    productType = given(product.product_type) and product.product_type or "",
    tags = tag_list(product.tags),
    status = retailer.status or (text(product.status) or "active"):upper(),
  }
  local options = product.options
  local variants = product.variants
  if type(variants) == "table" and #variants > 0 then
    if type(options) ~= "table" or #options == 0 then
      error("product.options: a product with variants must list its options")
    end
    out.productOptions = json.array()
    for k, o in ipairs(options) do
      local values = json.array()
      for _, v in ipairs(o.values or {}) do values[#values + 1] = { name = tostring(v) } end
      out.productOptions[k] = { name = o.name, values = values }
    end
    out.variants = json.array()
    for i, v in ipairs(variants) do
      local where = "product.variants[" .. (i - 1) .. "]"
      local option_values = json.array()
      for k, o in ipairs(options) do
        local value = v["option" .. k]
        if given(value) then option_values[#option_values + 1] = { optionName = o.name, name = value } end
      end
      local variant = {
        optionValues = option_values,
        price = price_text(retail_price(cents(v.price, where .. ".price") or 0, retailer)),
      }
      local compare = cents(v.compare_at_price, where .. ".compare_at_price")
      if compare then variant.compareAtPrice = price_text(retail_price(compare, retailer)) end
      if text(v.sku) then variant.sku = v.sku end
      out.variants[i] = variant
    end
  end
  return out
end

-- plan({topic, shop, triggered_at, product, supplier, retailers, last}): what one
-- products/* webhook means for the retailers.
--   topic, shop, triggered_at: the webhook's meta (topic, shop_domain, triggered_at)
--   product: its payload ({id} for products/delete)
--   supplier, retailers: config.supplier, config.retailers
--   last: the store_sync record of this product (store.get's output) or nil
-- Returns { apply, reason, version, actions = [{shop, op = "upsert"|"delete",
-- source_id, product?}], record }. apply is false for another shop's product, for
-- an older version than the one last applied (or than the product's deletion), and
-- while no supplier is configured.
function plan(input)
  local none = function(reason)
    return { apply = false, reason = reason, actions = json.array() }
  end
  local supplier = shop_name(input.supplier)
  if not supplier then return none("no supplier configured") end
  if shop_name(input.shop) ~= supplier then return none("not the supplier's product") end
  local product = input.product
  if type(product) ~= "table" or not given(product.id) then
    error("product must be the products/* payload with its id")
  end
  local source_id = id_text(product.id)
  local deleting = input.topic == "products/delete"
  local version = deleting and input.triggered_at or product.updated_at
  local at = instant(version)
  if not at then
    error((deleting and "triggered_at" or "product.updated_at") .. ": an ISO-8601 time is required")
  end

  local last = given(input.last) and input.last.value or nil
  if type(last) == "table" then
    local last_at = instant(last.version)
    if last_at and (last_at > at or (last.deleted and last_at >= at)) then
      return none(last.deleted and "deleted at " .. last.version or "older than " .. last.version)
    end
  end

  local actions = json.array()
  local carried = json.array()
  local retailers = input.retailers
  if given(retailers) and type(retailers) ~= "table" then
    error("config.retailers: a list of {shop, markup_percent, ...} is expected")
  end
  for i, entry in ipairs(given(retailers) and retailers or {}) do
    local retailer = retailer_config(entry, i - 1)
    local keep, why = false, "deleted"
    if not deleting then keep, why = carries(product, retailer) end
    if keep then
      actions[#actions + 1] = {
        shop = retailer.shop, op = "upsert", source_id = source_id,
        product = copy({ product = product, retailer = entry }),
      }
      carried[#carried + 1] = retailer.shop
    else
      actions[#actions + 1] = { shop = retailer.shop, op = "delete", source_id = source_id, reason = why }
    end
  end
  local record = { id = source_id, version = version, deleted = deleting, carried_by = carried }
  if not deleting then record.title = product.title end
  return { apply = true, reason = deleting and "deleted" or "changed", version = version,
           actions = actions, record = record }
end
