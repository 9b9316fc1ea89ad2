-- reconcile.lua: the decisions of workflows/reconcile.yaml (and the alert of
-- workflows/sync-health.yaml): what to compare, how big a gap is, where a repair
-- walk stands, and the report. Pure functions: input in, value out.
-- docs/cookbook/reconciliation.md explains the flow; the test cases are in
-- scripts/reconcile.*.test.yaml.

local NULL = json.null
local floor = math.floor

local function given(value) return value ~= nil and value ~= NULL end
local function list(t) return json.array(t or {}) end

local RESOURCES = { orders = true, products = true, customers = true }
local RANK = { ok = 0, warning = 1, critical = 2 }
local NAMES = { [0] = "ok", [1] = "warning", [2] = "critical" }

-- "ok" | "warning" | "critical" for a gap (a number of records) by the
-- thresholds {warning = N, critical = M}: at least `critical` is critical, at
-- least `warning` a warning.
local function status_of(gap, thresholds)
  thresholds = thresholds or {}
  local warning = tonumber(thresholds.warning) or 1
  local critical = tonumber(thresholds.critical) or 25
  gap = math.abs(gap or 0)
  if gap >= critical then return "critical" end
  if gap >= warning and gap > 0 then return "warning" end
  return "ok"
end

local function worst(a, b)
  return NAMES[math.max(RANK[a] or 0, RANK[b] or 0)]
end

-- Which resources to compare, from and since when; nothing when no shop is set.
-- input: {config, request (the trigger event: optional shop, window, resources),
--         now (unix seconds)}
function plan(input)
  local config = input.config or {}
  local request = input.request
  if type(request) ~= "table" then request = {} end
  local shop = given(request.shop) and request.shop or config.shop
  if type(shop) ~= "string" or shop == "" then
    return { configured = false,
             reason = "no shop: set workflows.reconcile.shop (the x.myshopify.com domain)" }
  end
  local window = given(request.window) and request.window or config.window or "7d"
  local seconds = time.duration(window)
  if seconds <= 0 then error("window must be longer than 0, got " .. tostring(window)) end
  local now = floor(input.now or time.now())
  local since = now - floor(seconds)
  local since_iso = time.format(since, "UTC")
  local page_size = floor(tonumber(config.page_size) or 100)
  local wanted = given(request.resources) and request.resources or config.resources
  if type(wanted) ~= "table" or #wanted == 0 then wanted = { "orders", "products", "customers" } end
  local collections = config.collections or {}
  local resources = {}
  for _, name in ipairs(wanted) do
    if not RESOURCES[name] then
      error("unknown resource '" .. tostring(name) .. "' (valid: orders, products, customers)")
    end
    local count_query = { shop = shop, updated_at_min = since_iso }
    local list_query = { shop = shop, updated_at_min = since_iso, limit = page_size }
    if name == "orders" then
      count_query.status = "any"
      list_query.status = "any"
    end
    resources[#resources + 1] = {
      name = name,
      collection = collections[name] or ("shopify_" .. name),
      prefix = shop .. "/",
      count_query = count_query,
      list_query = list_query,
    }
  end
  return {
    configured = true,
    shop = shop,
    window = window,
    since = since_iso,
    since_ms = since * 1000,
    started_at = time.format(now, "UTC"),
    resources = resources,
  }
end

-- The first comparison of one resource: Shopify's count against the local
-- records (tombstones are not counted), and whether to walk for the gap.
-- input: {remote ({count}), local ({count, live, tombstones}), thresholds, repair}
function compare(input)
  local remote = input.remote and input.remote.count or 0
  local here = input["local"] and input["local"].live or 0
  local gap = remote - here
  return {
    shopify = remote,
    ["local"] = here,
    gap = gap,
    status = status_of(gap, input.thresholds),
    walk = input.repair == true and gap > 0,
  }
end

-- The query of the next page of a repair walk: the checkpoint's cursor when a
-- page was done already, else the first page's filters.
-- input: {resource (a plan resource), checkpoint (store.get output or nil)}
function page_query(input)
  local res = input.resource
  local saved = input.checkpoint
  if given(saved) and type(saved.value) == "table" and given(saved.value.cursor) then
    return { shop = res.list_query.shop, limit = res.list_query.limit, cursor = saved.value.cursor }
  end
  return res.list_query
end

-- The ids of a list of keys "shop/id" (the part after the last '/').
local function id_of(key)
  return key:match("([^/]+)$") or key
end

-- The checkpoint after one page: pages done, the cursor of the next page, and
-- what the page's fenced writes found. input: {previous (checkpoint value or nil),
-- puts (the upsert foreach output: [{put = store.put output}]), cursor (next
-- page's, or nil), max_pages, max_ids}
function advance(input)
  local prev = given(input.previous) and input.previous or {}
  local max_ids = floor(tonumber(input.max_ids) or 1000)
  local out = {
    pages = (prev.pages or 0) + 1,
    seen = prev.seen or 0,
    missing = prev.missing or 0,
    stale = prev.stale or 0,
    missing_ids = list(prev.missing_ids),
    stale_ids = list(prev.stale_ids),
  }
  for _, entry in ipairs(input.puts or {}) do
    local put = type(entry) == "table" and entry.put or nil
    if type(put) == "table" then
      out.seen = out.seen + 1
      if put.applied == true and put.created == true then
        out.missing = out.missing + 1
        if #out.missing_ids < max_ids then out.missing_ids[#out.missing_ids + 1] = id_of(put.key) end
      elseif put.applied == true then
        out.stale = out.stale + 1
        if #out.stale_ids < max_ids then out.stale_ids[#out.stale_ids + 1] = id_of(put.key) end
      end
    end
  end
  local cursor = input.cursor
  local max_pages = floor(tonumber(input.max_pages) or 1000)
  out.capped = given(cursor) and out.pages >= max_pages
  out.done = not given(cursor) or out.capped
  out.cursor = given(cursor) and not out.capped and cursor or NULL
  return out
end

-- One resource's part of the report. input: {resource, before (compare output),
-- remote_after ({count} or nil), local_after ({live} or nil), walk (the last
-- checkpoint value or nil), thresholds}
function resource_result(input)
  local before = input.before or {}
  local walk = given(input.walk) and input.walk or nil
  local out = {
    name = input.resource.name,
    collection = input.resource.collection,
    before = { shopify = before.shopify, ["local"] = before["local"], gap = before.gap },
    missing = walk and walk.missing or 0,
    stale = walk and walk.stale or 0,
    repaired = walk and (walk.missing + walk.stale) or 0,
    pages = walk and walk.pages or 0,
    capped = walk and walk.capped or false,
    missing_ids = list(walk and walk.missing_ids),
    stale_ids = list(walk and walk.stale_ids),
  }
  local found_gap = math.max(math.abs(before.gap or 0), out.missing + out.stale)
  out.found = status_of(found_gap, input.thresholds)
  if given(input.remote_after) and given(input.local_after) then
    local gap = input.remote_after.count - input.local_after.live
    out.after = { shopify = input.remote_after.count, ["local"] = input.local_after.live, gap = gap }
    out.status = status_of(gap, input.thresholds)
  else
    out.status = out.found  -- nothing was repaired: what was found stands
  end
  if out.capped then out.status = worst(out.status, "warning") end
  return out
end

-- The report of a reconciliation. input: {plan, results (the foreach output:
-- [{result = resource_result output, ...}]), run_id, now, thresholds}
function summarize(input)
  local plan = input.plan
  local report = {
    id = input.run_id,
    shop = plan.shop,
    window = plan.window,
    since = plan.since,
    started_at = plan.started_at,
    finished_at = time.format(floor(input.now or time.now()), "UTC"),
    thresholds = input.thresholds,
    found = "ok",
    status = "ok",
    missing = 0,
    stale = 0,
    repaired = 0,
    resources = {},
  }
  local lines = {}
  for _, entry in ipairs(input.results or {}) do
    local r = type(entry) == "table" and entry.result or nil
    if type(r) == "table" then
      report.resources[r.name] = r
      report.found = worst(report.found, r.found)
      report.status = worst(report.status, r.status)
      report.missing = report.missing + r.missing
      report.stale = report.stale + r.stale
      report.repaired = report.repaired + r.repaired
      lines[#lines + 1] = string.format("%s: Shopify %s, local %s (gap %s); %d missing, %d stale repaired; now %s",
        r.name, tostring(r.before.shopify), tostring(r.before["local"]), tostring(r.before.gap),
        r.missing, r.stale, r.status)
    end
  end
  report.alert = report.found == "critical" or report.status == "critical"
  report.subject = string.format("[storeflow] reconciliation %s for %s: %s", tostring(input.run_id),
    plan.shop, report.found == "critical" and "critical gap found" or report.status)
  report.text = string.format("Reconciliation %s of %s since %s (window %s): found %s, now %s.\n%s\n",
    tostring(input.run_id), plan.shop, plan.since, tostring(plan.window), report.found,
    report.status, table.concat(lines, "\n"))
  return report
end

-- The body of the alert webhook: `text` (what a Slack incoming webhook shows)
-- and the alert's details. input: {alert = {kind, subject, text, details}}
function alert_body(input)
  local a = input.alert or {}
  local text = a.subject or "storeflow sync alert"
  if type(a.text) == "string" and a.text ~= "" then text = text .. "\n" .. a.text end
  return { text = text, kind = a.kind or "sync", details = a.details or NULL }
end
