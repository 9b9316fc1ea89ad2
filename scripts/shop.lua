-- shop.lua: the business rules of the shop API flows (workflows/shop-*.yaml).
--
-- Money is in whole cents (integers), never floating point. Product ids are strings
-- (a number given by a client is turned into its decimal text, exactly).
--
--   products_matching  filter the catalogue by productType, ordered by id
--   record_values      the values of store.query records, as a list
--   add_to_cart        add a quantity of a product to a cart
--   cart_from_items    the cart of an order that lists its items itself
--   make_order         turn a cart into an order (with its shipping address)
--   simulate_payment   the demo's payment provider: approves up to a limit
--   invoice_text       the text of an order's invoice

local type, tostring, error, pairs, ipairs, pcall = type, tostring, error, pairs, ipairs, pcall
local math_type, sort, concat, format = math.type, table.sort, table.concat, string.format
local NULL, new_array = json.null, json.array

local MAX_QUANTITY = 999

local function id_text(value, what)
  local t = type(value)
  if t == "string" and value ~= "" then return value end
  if t == "number" and math_type(value) == "integer" then return tostring(value) end
  error(what .. " must be a non-empty string or an integer, got " .. tostring(value), 3)
end

local function is_set(value) return value ~= nil and value ~= NULL end

-- The `value`s of store.query records (or a plain list of products).
local function products_of(records)
  local out = {}
  if not is_set(records) then return out end
  for _, record in ipairs(records) do
    local product = record.value ~= nil and record.value or record
    if type(product) == "table" then out[#out + 1] = product end
  end
  return out
end

local function money(cents, currency)
  local sign = cents < 0 and "-" or ""
  cents = cents < 0 and -cents or cents
  return format("%s%d.%02d %s", sign, cents // 100, cents % 100, currency)
end

-- products_matching({ records, productType? }) -> list of products ordered by id.
-- Without productType, every product.
function products_matching(input)
  local wanted = input.productType
  local list = new_array()
  for _, product in ipairs(products_of(input.records)) do
    if not is_set(wanted) or wanted == "" or product.productType == wanted then
      list[#list + 1] = product
    end
  end
  sort(list, function(a, b) return tostring(a.id) < tostring(b.id) end)
  return list
end

-- record_values({ records }) -> the `value` of each record, in order
function record_values(input)
  local list = new_array()
  for _, value in ipairs(products_of(input.records)) do list[#list + 1] = value end
  return list
end

-- add_to_cart({ cart?, product, quantity, userId, now }) -> the updated cart
--   cart: { userId, items = [{ productId, name, productType, price_cents, quantity,
--           line_cents }], item_count, total_cents, currency, updated_at }
function add_to_cart(input)
  local product = input.product
  if type(product) ~= "table" then error("product must be a product record", 2) end
  local quantity = input.quantity
  if math_type(quantity) ~= "integer" or quantity < 1 then
    error("quantity must be a whole number of at least 1, got " .. tostring(quantity), 2)
  end
  local product_id = id_text(product.id, "product.id")
  local cart = input.cart
  if not is_set(cart) then
    cart = { userId = input.userId, items = new_array(), currency = product.currency or "USD" }
  end
  if not is_set(cart.items) then cart.items = new_array() end

  local line
  for _, item in ipairs(cart.items) do
    if item.productId == product_id then line = item end
  end
  if line == nil then
    line = { productId = product_id, name = product.name, productType = product.productType,
              price_cents = product.price_cents, quantity = 0 }
    cart.items[#cart.items + 1] = line
  end
  line.quantity = line.quantity + quantity
  if line.quantity > MAX_QUANTITY then
    error(format("at most %d of one product fit in a cart (%s)", MAX_QUANTITY, product_id), 2)
  end
  line.price_cents = product.price_cents
  line.line_cents = line.price_cents * line.quantity

  local total, count = 0, 0
  for _, item in ipairs(cart.items) do
    total = total + item.line_cents
    count = count + item.quantity
  end
  cart.total_cents, cart.item_count = total, count
  cart.updated_at = input.now
  return cart
end

-- cart_from_items({ items, products, userId, now }) -> { cart } or { error }
--   items:    the order's [{ productId, quantity }]
--   products: one entry per item, in order: { product = <store.get output or nil> }
--             (the output of a foreach of store.get steps named `product`)
--   error:    { status, code, message } for the caller: 404 unknown_product (every
--             unknown id named), 422 invalid_items (more than 999 of one product)
function cart_from_items(input)
  local items, found = input.items, input.products
  if not is_set(items) or #items == 0 then
    return { error = { status = 422, code = "invalid_items", message = "the order lists no items" } }
  end
  local unknown = {}
  for i, item in ipairs(items) do
    local entry = is_set(found) and found[i] or nil
    local record = type(entry) == "table" and entry.product or nil
    if not is_set(record) or type(record.value) ~= "table" then
      unknown[#unknown + 1] = tostring(item.productId)
    end
  end
  if #unknown > 0 then
    return { error = { status = 404, code = "unknown_product",
                       message = "no product with id " .. concat(unknown, ", ") } }
  end
  local cart = NULL
  for i, item in ipairs(items) do
    local ok, result = pcall(add_to_cart, { cart = cart, product = found[i].product.value,
                                            quantity = item.quantity, userId = input.userId,
                                            now = input.now })
    if not ok then
      return { error = { status = 422, code = "invalid_items",
                         message = "$.body.items[" .. (i - 1) .. "]: " .. tostring(result) } }
    end
    cart = result
  end
  return { cart = cart }
end

-- make_order({ cart, orderId, userId, email?, shipping?, now }) -> the order (status PENDING)
--   shipping: the address the order goes to, kept as given ({ name, address1, address2?,
--             city, zip, country, ... })
function make_order(input)
  local cart = input.cart
  if not is_set(cart) or not is_set(cart.items) or #cart.items == 0 then
    error("the cart is empty", 2)
  end
  return {
    orderId = id_text(input.orderId, "orderId"),
    userId = input.userId,
    email = is_set(input.email) and input.email or NULL,
    shipping = is_set(input.shipping) and input.shipping or NULL,
    items = cart.items,
    item_count = cart.item_count,
    total_cents = cart.total_cents,
    currency = cart.currency or "USD",
    status = "PENDING",
    created_at = input.now,
  }
end

-- simulate_payment({ order, limit_cents }) -> { approved, payment_id?, reason? }
-- Approves orders up to limit_cents; a stand-in for a payment provider.
function simulate_payment(input)
  local order = input.order
  local limit = input.limit_cents
  if math_type(limit) ~= "integer" then error("limit_cents must be an integer", 2) end
  if order.total_cents > limit then
    return { approved = false,
             reason = format("amount %s is over the limit of %s",
                             money(order.total_cents, order.currency),
                             money(limit, order.currency)) }
  end
  return { approved = true, payment_id = "pay-" .. order.orderId,
           amount_cents = order.total_cents }
end

-- The lines of a shipping address: name, street lines, "zip city", region, country;
-- absent or empty fields are left out.
local function address_lines(shipping)
  local out = {}
  local function add(text)
    if is_set(text) and tostring(text) ~= "" then out[#out + 1] = "  " .. tostring(text) end
  end
  add(shipping.name)
  add(shipping.company)
  add(shipping.address1)
  add(shipping.address2)
  local zip = is_set(shipping.zip) and tostring(shipping.zip) or ""
  local city = is_set(shipping.city) and tostring(shipping.city) or ""
  add((zip .. " " .. city):match("^%s*(.-)%s*$"))
  add(shipping.state or shipping.province)
  add(shipping.country)
  return out
end

-- invoice_text({ order, payment, shop? }) -> text
function invoice_text(input)
  local order, payment = input.order, input.payment
  local lines = {
    format("INVOICE %s", order.orderId),
    format("Shop: %s", input.shop or "storeflow demo shop"),
    format("Customer: %s", tostring(order.userId)),
    format("Date: %s", time.format(order.created_at // 1)),
  }
  if type(order.shipping) == "table" then
    lines[#lines + 1] = "Ship to:"
    for _, line in ipairs(address_lines(order.shipping)) do lines[#lines + 1] = line end
  end
  lines[#lines + 1] = ""
  for _, item in ipairs(order.items) do
    lines[#lines + 1] = format("%4d x %-32s %14s", item.quantity, item.name or item.productId,
                               money(item.line_cents, order.currency))
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = format("Total: %s", money(order.total_cents, order.currency))
  lines[#lines + 1] = format("Payment: %s", payment.payment_id)
  return concat(lines, "\n") .. "\n"
end
