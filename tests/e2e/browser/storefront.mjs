#!/usr/bin/env node
// A shopper's whole visit of the storefront (examples/storefront) in headless
// Chromium, steered by puppeteer-core (installed in tools/peers; it never downloads
// a browser: Debian's chromium is used). Run by tests/e2e/storefront_test.cpp:
//
//   node tests/e2e/browser/storefront.mjs --shop http://127.0.0.1:PORT/shop/ \
//        --screenshot out.png [--api http://127.0.0.1:PORT] [--serve-dir examples/storefront]
//
//   --shop URL        the storefront page (served by `storeflow serve`'s http.static)
//   --serve-dir DIR   instead, serve DIR from a static server of this script on another
//                     127.0.0.1 port: the page then calls the API cross-origin (CORS)
//   --serve-port N    that server's port (default: any free one)
//   --api URL         the API base the page is told (?api=); default: its own origin
//   --screenshot FILE the page at the end (and FILE with -failed on a failure)
//   --timeout MS      the whole visit's bound (default 90000)
//   --chromium PATH   default /usr/bin/chromium (or $STOREFLOW_CHROMIUM)
//   --user ID         the shopper (default u-browser-<random>)
//
// Prints one JSON line: {"ok": true, "orderId", "userId", "status", "category", ...}
// or {"ok": false, "error", "console"}; exit code 0 only when the visit ended with
// the order PROCESSED. Only loopback URLs are visited.

import { createRequire } from "node:module";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const peers = process.env.PEERS_HOME || path.resolve(here, "../../../tools/peers");
const require = createRequire(path.join(peers, "package.json"));

function parseArgs(argv) {
  const out = {
    timeout: 90000,
    chromium: process.env.STOREFLOW_CHROMIUM || "/usr/bin/chromium",
    user: "u-browser-" + Math.random().toString(16).slice(2, 10),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    const value = argv[i + 1];
    if (value === undefined) throw new Error("--" + name + " needs a value");
    out[name.replace(/-(.)/g, (_, c) => c.toUpperCase())] = value;
  }
  out.timeout = Number(out.timeout);
  return out;
}

function loopbackOnly(url) {
  const host = new URL(url).hostname;
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") {
    throw new Error("only loopback URLs are visited, not " + url);
  }
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

// A minimal static server for --serve-dir on 127.0.0.1 (another origin than the API).
function serveDir(dir, port) {
  const root = fs.realpathSync(dir);
  const server = http.createServer((req, res) => {
    let name = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (name.endsWith("/")) name += "index.html";
    const file = path.join(root, path.normalize(name));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

async function visit(browser, shopUrl, options, log) {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  await page.setViewport({ width: 1100, height: 800 });
  page.on("console", (m) => log.push("console." + m.type() + ": " + m.text()));
  page.on("pageerror", (e) => log.push("pageerror: " + e.message));
  page.on("requestfailed", (r) => log.push("requestfailed: " + r.url() + " " + r.failure()?.errorText));
  page.on("response", (r) => {
    if (r.status() >= 400) log.push("http " + r.status() + ": " + r.request().method() + " " + r.url());
  });

  const url = new URL(shopUrl);
  url.searchParams.set("user", options.user);
  if (options.api) url.searchParams.set("api", options.api);
  await page.goto(url.toString(), { waitUntil: "load" });
  await page.waitForSelector('body[data-ready="true"]');
  const error = await page.$eval("#message", (e) => (e.hidden ? "" : e.textContent));
  if (error) throw new Error("the page says: " + error);

  const all = await page.$$eval("#products .card", (cards) => cards.length);
  if (all === 0) throw new Error("no products listed");

  // The type filter asks the API for one type.
  await page.select("#type-filter", "Jackets");
  await page.waitForFunction(() => {
    const types = [...document.querySelectorAll("#products .card .product-type")];
    return types.length > 0 && types.every((t) => t.textContent === "Jackets");
  });
  const jackets = await page.$$eval("#products .card", (cards) => cards.length);

  // A click on a product is recorded (POST /events, product-view) and the
  // recommendations follow it.
  await page.click("#products .card:nth-child(1) .product-name");
  await page.waitForSelector("#products .card.viewed");
  await page.waitForFunction(
    () => !document.getElementById("recommended").hidden &&
      document.getElementById("recommended-category").textContent === "(Jackets)");
  const recommended = await page.$$eval("#recommendations .card", (cards) => cards.length);
  if (options.screenshot) {
    await page.screenshot({ path: options.screenshot.replace(/(\.png)?$/, "-products.png"), fullPage: true });
  }

  // Into the cart: one from the recommendations, one from the list.
  await page.click("#recommendations .card:nth-child(1) .add");
  await page.waitForFunction(() => document.getElementById("cart-count").textContent === "1");
  await page.click("#products .card:nth-child(2) .add");
  await page.waitForFunction(() => document.getElementById("cart-count").textContent === "2");

  // Checkout with shipping details.
  await page.click("#cart-link");
  await page.waitForSelector("#checkout:not([hidden])");
  const fields = {
    name: "Ada Lovelace",
    email: options.email,
    address1: "12 St James's Square",
    address2: "Flat 3",
    zip: "SW1Y 4JH",
    city: "London",
    country: "GB",
  };
  for (const [name, value] of Object.entries(fields)) {
    await page.$eval(`#checkout [name="${name}"]`, (e) => { e.value = ""; });
    await page.type(`#checkout [name="${name}"]`, value);
  }
  await page.click("#place-order");

  // The thank-you page with the order id, then the status turning PROCESSED.
  await page.waitForSelector("#view-thanks:not([hidden])");
  await page.waitForFunction(() => document.getElementById("order-id").textContent !== "");
  const orderId = await page.$eval("#order-id", (e) => e.textContent);
  await page.waitForSelector('#order-status[data-status="PROCESSED"], #order-status[data-status="PAYMENT_DECLINED"]',
    { timeout: 60000 });
  const status = await page.$eval("#order-status", (e) => e.dataset.status);
  await page.waitForFunction(() => document.getElementById("order-summary").textContent !== "");
  const summary = await page.$eval("#order-summary", (e) => e.textContent);
  if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
  return { orderId, status, summary, products: all, jackets, recommended, category: "Jackets", page };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  options.email = options.email || "ada@example.com";
  const log = [];
  let browser = null;
  let server = null;
  let page = null;
  const guard = setTimeout(() => {
    console.log(JSON.stringify({ ok: false, error: "the visit took over " + options.timeout + " ms", console: log }));
    process.exit(2);
  }, options.timeout);
  try {
    let shop = options.shop;
    if (options.serveDir) {
      server = await serveDir(options.serveDir, Number(options.servePort || 0));
      shop = "http://127.0.0.1:" + server.address().port + "/index.html";
    }
    if (!shop) throw new Error("--shop URL or --serve-dir DIR is required");
    loopbackOnly(shop);
    if (options.api) loopbackOnly(options.api);
    const puppeteer = require("puppeteer-core");
    browser = await puppeteer.launch({
      executablePath: options.chromium,
      headless: true,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             // Loopback only: no background traffic (puppeteer adds some of these too),
             // and no host name resolves, so nothing but 127.0.0.1 can be reached.
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-domain-reliability", "--no-pings",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    });
    const result = await visit(browser, shop, options, log);
    page = result.page;
    delete result.page;
    const ok = result.status === "PROCESSED";
    console.log(JSON.stringify({ ok, userId: options.user, email: options.email, shop, ...result,
                                 console: ok ? undefined : log }));
    process.exitCode = ok ? 0 : 1;
  } catch (e) {
    if (browser && options.screenshot) {
      try {
        const pages = await browser.pages();
        const last = pages[pages.length - 1];
        if (last) await last.screenshot({ path: options.screenshot.replace(/(\.png)?$/, "-failed.png"), fullPage: true });
      } catch (ignored) { /* the failure is reported below */ }
    }
    console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), console: log }));
    process.exitCode = 1;
  } finally {
    clearTimeout(guard);
    if (browser) await browser.close().catch(() => {});
    if (server) server.close();
  }
}

main();
