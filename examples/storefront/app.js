// storeflow demo shop: a storefront on the shop API (workflows/shop-*.yaml).
// Plain JavaScript, no build step, no dependencies. Views by URL hash:
//   #products        the catalogue (type filter) and "Recommended for you"
//   #cart            the cart and the shipping form
//   #thanks/<order>  the thank-you page; polls the order until it is processed
(function () {
  "use strict";

  const params = new URLSearchParams(window.location.search);
  // Where the API is: ?api=... wins, then <body data-api-base>, else this origin.
  const API = (params.get("api") || document.body.dataset.apiBase || "").replace(/\/+$/, "");
  const POLL_MS = 1000;
  const POLL_LIMIT = 120; // two minutes
  const FINAL = ["PROCESSED", "PAYMENT_DECLINED"];

  const $ = (id) => document.getElementById(id);

  function stored(name, fallback) {
    try {
      const text = window.localStorage.getItem("storeflow." + name);
      return text === null ? fallback : JSON.parse(text);
    } catch (e) {
      return fallback; // no storage (private mode, file://): keep it in memory only
    }
  }
  function store(name, value) {
    try {
      window.localStorage.setItem("storeflow." + name, JSON.stringify(value));
    } catch (e) {
      /* in memory only */
    }
  }

  function randomId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The shopper: ?user=... (tests, demos), else one kept in this browser.
  const userId = params.get("user") || stored("userId", null) || "u-" + randomId().slice(0, 8);
  store("userId", userId);

  let cart = stored("cart", null);
  let pollTimer = null;

  function money(cents, currency) {
    const sign = cents < 0 ? "-" : "";
    const abs = Math.abs(cents);
    return sign + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0") + " " +
      (currency || "USD");
  }

  function showError(error) {
    const box = $("message");
    box.textContent = error && error.message ? error.message : String(error);
    box.hidden = false;
  }
  function clearError() {
    $("message").hidden = true;
  }

  // One call of the shop API: the parsed JSON answer; an error carries the API's
  // {error: {code, message}} text.
  async function api(method, path, body, headers) {
    const init = { method: method, headers: Object.assign({ Accept: "application/json" }, headers) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, init);
    } catch (e) {
      throw new Error(method + " " + API + path + " failed: " + e.message);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const message = data && data.error ? data.error.message : "HTTP " + response.status;
      const error = new Error(method + " " + path + ": " + message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function recordEvent(product, eventType) {
    return api("POST", "/events", {
      userId: userId,
      productId: product.id,
      eventType: eventType,
      productType: product.productType,
    });
  }

  // --- products -------------------------------------------------------------

  function productCard(product) {
    const card = $("product-card").content.firstElementChild.cloneNode(true);
    card.dataset.productId = product.id;
    const name = card.querySelector(".product-name");
    name.textContent = product.name;
    name.addEventListener("click", async () => {
      clearError();
      try {
        await recordEvent(product, "product-view");
        card.classList.add("viewed");
        await loadRecommendations();
      } catch (e) {
        showError(e);
      }
    });
    card.querySelector(".product-type").textContent = product.productType;
    card.querySelector(".price").textContent = money(product.price_cents, product.currency);
    card.querySelector(".add").addEventListener("click", () => addToCart(product));
    return card;
  }

  function fill(list, products) {
    list.replaceChildren(...products.map(productCard));
  }

  async function loadTypes() {
    const all = await api("GET", "/products");
    const types = [...new Set(all.products.map((p) => p.productType))].sort();
    const select = $("type-filter");
    for (const type of types) {
      const option = document.createElement("option");
      option.value = type;
      option.textContent = type;
      select.appendChild(option);
    }
    show(all);
  }

  function show(answer) {
    fill($("products"), answer.products);
    $("product-count").textContent = answer.count + " product(s)";
  }

  async function filterProducts() {
    clearError();
    const type = $("type-filter").value;
    try {
      show(await api("GET", "/products" + (type ? "?productType=" + encodeURIComponent(type) : "")));
    } catch (e) {
      showError(e);
    }
  }

  async function loadRecommendations() {
    const answer = await api("GET", "/recommendations?userId=" + encodeURIComponent(userId));
    const section = $("recommended");
    if (!answer.category) {
      section.hidden = true;
      return;
    }
    $("recommended-category").textContent = "(" + answer.category + ")";
    fill($("recommendations"), answer.products.slice(0, 4));
    section.hidden = false;
  }

  // --- cart and checkout ----------------------------------------------------

  async function addToCart(product) {
    clearError();
    try {
      cart = await api("POST", "/cart", { userId: userId, productId: product.id, quantity: 1 });
      store("cart", cart);
      renderCart();
      await recordEvent(product, "add_to_cart");
      await loadRecommendations();
    } catch (e) {
      showError(e);
    }
  }

  function renderCart() {
    const items = cart && cart.items ? cart.items : [];
    $("cart-count").textContent = String(items.reduce((n, item) => n + item.quantity, 0));
    $("cart-empty").hidden = items.length > 0;
    $("cart-table").hidden = items.length === 0;
    $("checkout").hidden = items.length === 0;
    $("cart-lines").replaceChildren(...items.map((item) => {
      const row = document.createElement("tr");
      for (const [text, numeric] of [
        [item.name || item.productId, false],
        [String(item.quantity), false],
        [money(item.line_cents, cart.currency), true],
      ]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (numeric) cell.className = "num";
        row.appendChild(cell);
      }
      return row;
    }));
    $("cart-total").textContent = items.length ? money(cart.total_cents, cart.currency) : "";
  }

  async function placeOrder(event) {
    event.preventDefault();
    clearError();
    const form = event.target;
    const field = (name) => form.elements[name].value.trim();
    const shipping = {
      name: field("name"),
      address1: field("address1"),
      city: field("city"),
      zip: field("zip"),
      country: field("country"),
    };
    if (field("address2")) shipping.address2 = field("address2");
    const order = {
      userId: userId,
      items: cart.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
      email: field("email"),
      shipping: shipping,
    };
    const button = $("place-order");
    button.disabled = true;
    try {
      // One key per attempt: a retried POST (a lost answer) does not order twice.
      const answer = await api("POST", "/orders", order, { "Idempotency-Key": randomId() });
      cart = null;
      store("cart", null);
      renderCart();
      window.location.hash = "#thanks/" + encodeURIComponent(answer.orderId);
    } catch (e) {
      showError(e);
    } finally {
      button.disabled = false;
    }
  }

  // --- thank-you page -------------------------------------------------------

  function setStatus(status) {
    const label = $("order-status");
    label.textContent = status === "PAYMENT_DECLINED" ? "Payment declined" : status;
    label.dataset.status = status;
  }

  function summarize(order) {
    const parts = [order.item_count + " item(s), " + money(order.total_cents, order.currency)];
    const ship = order.shipping;
    if (ship) {
      parts.push("shipping to " + [ship.name, ship.address1, ship.address2, ship.zip + " " + ship.city,
        ship.country].filter((x) => x && x.trim()).join(", "));
    }
    if (order.reason) parts.push(order.reason);
    $("order-summary").textContent = parts.join("; ");
  }

  function pollOrder(orderId) {
    clearTimeout(pollTimer);
    let tries = 0;
    const tick = async () => {
      tries += 1;
      try {
        const order = await api("GET", "/orders/" + encodeURIComponent(orderId) +
          "?userId=" + encodeURIComponent(userId));
        setStatus(order.status);
        summarize(order);
        if (FINAL.includes(order.status)) return;
      } catch (e) {
        showError(e);
        if (e.status === 404) return;
      }
      if (tries < POLL_LIMIT) pollTimer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  // --- views ----------------------------------------------------------------

  function route() {
    const hash = window.location.hash || "#products";
    const [view, argument] = hash.slice(1).split("/");
    for (const name of ["products", "cart", "thanks"]) {
      $("view-" + name).hidden = name !== (view === "cart" || view === "thanks" ? view : "products");
    }
    if (view === "thanks" && argument) {
      const orderId = decodeURIComponent(argument);
      $("order-id").textContent = orderId;
      setStatus("Order Received");
      $("order-summary").textContent = "";
      pollOrder(orderId);
    } else {
      clearTimeout(pollTimer);
    }
  }

  async function start() {
    $("user-id").textContent = userId;
    document.body.dataset.userId = userId;
    $("type-filter").addEventListener("change", filterProducts);
    $("checkout").addEventListener("submit", placeOrder);
    window.addEventListener("hashchange", route);
    renderCart();
    route();
    try {
      await loadTypes();
      await loadRecommendations();
    } catch (e) {
      showError(e);
    }
    document.body.dataset.ready = "true";
  }

  start();
})();
