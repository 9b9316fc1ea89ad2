#include "webhook_load.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <exception>
#include <utility>

#include <nlohmann/json.hpp>

#include "http/shopify_source.h"

namespace storeflow::chaos {

std::int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

WebhookLoad::WebhookLoad(LoadOptions options, std::function<std::uint16_t()> port)
    : options_(std::move(options)), port_(std::move(port)), next_order_(kFirstOrder) {}

void WebhookLoad::Start() {
  stop_ = false;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Loop(i); });
}

void WebhookLoad::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::vector<Delivery> WebhookLoad::Log() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::string WebhookLoad::Body(std::int64_t order, const std::string& tag) {
  return nlohmann::json{{"id", order},
                        {"name", "#C" + std::to_string(order - kFirstOrder)},
                        {"email", "buyer@example.test"},
                        {"total_price", "19.99"},
                        {"currency", "USD"},
                        {"note", tag}}
      .dump();
}

std::string WebhookLoad::WebhookId(std::int64_t order) const {
  return "chaos-" + options_.tag + "-" + std::to_string(order);
}

Delivery WebhookLoad::Send(std::uint16_t port, std::int64_t order) const {
  Delivery d;
  d.order = order;
  const std::string body = Body(order, options_.tag);
  d.sent_ms = UnixMs();
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(static_cast<long>(options_.request_timeout.count()), 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/webhooks/shopify",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.set("X-Shopify-Topic", "orders/create");
    request.set("X-Shopify-Shop-Domain", "chaos.myshopify.com");
    request.set("X-Shopify-Webhook-Id", WebhookId(order));
    request.set("X-Shopify-Hmac-Sha256", http::ShopifySignature(body, options_.secret).value());
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    d.status = static_cast<int>(response.getStatus());
    if (d.status == 200) {
      const auto json = nlohmann::json::parse(text, nullptr, false);
      d.duplicate = json.is_object() && json.value("duplicate", false);
      if (json.is_object() && json.contains("event_id")) d.event_id = json["event_id"];
      if (json.is_object() && json.contains("runs")) {
        for (const auto& run : json["runs"]) d.runs.push_back(run.get<std::int64_t>());
      }
    } else {
      d.detail = text;
    }
  } catch (const std::exception& e) {
    d.status = 0;
    d.detail = e.what();
  }
  d.answered_ms = UnixMs();
  return d;
}

std::int64_t WebhookLoad::NextOrder(std::mt19937& random, bool* resend) {
  std::lock_guard lock(mu_);
  ++requests_;
  *resend = true;
  if (options_.repeat_every > 0 && requests_ % options_.repeat_every == 0 && !acked_.empty()) {
    return acked_[std::uniform_int_distribution<std::size_t>(0, acked_.size() - 1)(random)];
  }
  if (!unanswered_.empty()) {
    const std::int64_t order = unanswered_.front();
    unanswered_.erase(unanswered_.begin());
    return order;
  }
  *resend = false;
  return next_order_++;
}

void WebhookLoad::Loop(int index) {
  std::mt19937 random(options_.seed + static_cast<std::uint32_t>(index));
  while (!stop_) {
    const std::uint16_t port = port_();
    if (port == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    bool resend = false;
    const std::int64_t order = NextOrder(random, &resend);
    Delivery d = Send(port, order);
    d.resend = resend;
    {
      std::lock_guard lock(mu_);
      if (d.status == 200) {
        acked_.push_back(order);
      } else {
        unanswered_.push_back(order);
      }
      log_.push_back(std::move(d));
    }
    std::this_thread::sleep_for(options_.pause);
  }
}

}  // namespace storeflow::chaos
