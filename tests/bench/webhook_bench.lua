-- wrk script of tests/bench/webhook_bench.sh: Shopify-signed carts/create
-- deliveries, each with a unique X-Shopify-Webhook-Id. The signed bodies (about
-- 2 KB each, distinct tokens) are prepared by the shell script in BODIES_FILE,
-- one "signature<TAB>body" per line; each request picks the next one, so the
-- server verifies a real HMAC on every request.
-- Usage: wrk ... -s webhook_bench.lua URL -- BODIES_FILE RUN_PREFIX

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local bodies = {}
local prefix = "run"
local counter = 0
ok = 0
other = 0
duplicates = 0

function init(args)
  local file = args[1]
  prefix = args[2] or prefix
  for line in io.lines(file) do
    local tab = line:find("\t", 1, true)
    bodies[#bodies + 1] = { sig = line:sub(1, tab - 1), body = line:sub(tab + 1) }
  end
  counter = 0
end

function request()
  counter = counter + 1
  local b = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", "/webhooks/shopify", {
    ["Content-Type"] = "application/json",
    ["X-Shopify-Topic"] = "carts/create",
    ["X-Shopify-Shop-Domain"] = "bench.myshopify.com",
    ["X-Shopify-API-Version"] = "2026-07",
    ["X-Shopify-Hmac-Sha256"] = b.sig,
    ["X-Shopify-Webhook-Id"] = prefix .. "-" .. tid .. "-" .. counter,
  }, b.body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    if body:find('"duplicate":true', 1, true) then duplicates = duplicates + 1 end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_total, other_total, dup_total = 0, 0, 0
  for _, t in ipairs(threads) do
    ok_total = ok_total + t:get("ok")
    other_total = other_total + t:get("other")
    dup_total = dup_total + t:get("duplicates")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("BENCH requests=%d ok200=%d non200=%d duplicate_answers=%d errors=%d\n",
    summary.requests, ok_total, other_total, dup_total,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.status + summary.errors.timeout))
  io.write(string.format("BENCH req_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
