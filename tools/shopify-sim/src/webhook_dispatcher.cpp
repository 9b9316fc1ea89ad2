#include "webhook_dispatcher.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <istream>
#include <limits>

#include "hmac_sign.h"
#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

bool IsLoopbackHost(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(SimClock& clock) : clock_(clock) {}

WebhookDispatcher::~WebhookDispatcher() {
  Stop();
}

void WebhookDispatcher::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string WebhookDispatcher::NewId() const {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

void WebhookDispatcher::Notify() {
  wake_.notify_all();
}

Status WebhookDispatcher::AddFault(const std::string& mode, int count, std::int64_t delay_ms) {
  if (mode != "drop" && mode != "duplicate" && mode != "delay" && mode != "reorder") {
    return InvalidArgument("$.mode: '" + mode +
                           "' is not a webhook fault; use drop, duplicate, delay or reorder");
  }
  if (count < 1) return InvalidArgument("$.count: must be 1 or more");
  if (mode == "delay" && delay_ms <= 0) {
    return InvalidArgument("$.delay_ms: a delay fault needs delay_ms > 0");
  }
  if (mode == "reorder" && count < 2) {
    return InvalidArgument("$.count: reordering needs at least 2 deliveries");
  }
  std::lock_guard lock(mutex_);
  faults_.push_back(Fault{mode, count, delay_ms, count});
  return Status::Ok();
}

void WebhookDispatcher::Enqueue(WebhookEvent event) {
  {
    std::lock_guard lock(mutex_);
    auto d = std::make_unique<Delivery>();
    d->webhook_id = NewId();
    d->event = std::move(event);
    d->state = "pending";
    d->due_ms = clock_.NowMs();
    d->order_key = next_order_key_++;
    if (!faults_.empty()) {
      Fault& f = faults_.front();
      d->fault = f.mode;
      if (f.mode == "drop") {
        d->state = "dropped";
      } else if (f.mode == "duplicate") {
        d->duplicate = true;
      } else if (f.mode == "delay") {
        d->due_ms += f.delay_ms;
      } else if (f.mode == "reorder") {
        d->state = "held";
        reorder_held_.push_back(d.get());
        reorder_batch_ = f.batch;
      }
      if (--f.remaining <= 0) faults_.erase(faults_.begin());
    }
    if (!reorder_held_.empty() && static_cast<int>(reorder_held_.size()) >= reorder_batch_) {
      // Release the batch, newest first.
      const std::int64_t now = clock_.NowMs();
      for (auto it = reorder_held_.rbegin(); it != reorder_held_.rend(); ++it) {
        (*it)->state = "pending";
        (*it)->due_ms = now;
        (*it)->order_key = next_order_key_++;
      }
      reorder_held_.clear();
    }
    deliveries_.push_back(std::move(d));
  }
  wake_.notify_all();
}

WebhookDispatcher::Attempt WebhookDispatcher::Send(const Delivery& d) const {
  Attempt attempt;
  attempt.at_ms = clock_.NowMs();
  try {
    const Poco::URI uri(d.event.address);
    if (uri.getScheme() != "http") {
      attempt.error = "the simulator delivers over http only (address " + d.event.address + ")";
      return attempt;
    }
    if (!IsLoopbackHost(uri.getHost())) {
      attempt.error = "not a loopback address; the simulator only delivers to 127.0.0.1";
      return attempt;
    }
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(kWebhookConnectTimeoutS, 0),
                       Poco::Timespan(kWebhookAnswerTimeoutS, 0),
                       Poco::Timespan(kWebhookAnswerTimeoutS, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(d.event.body.size()));
    request.set("X-Shopify-Topic", d.event.topic);
    request.set("X-Shopify-Hmac-Sha256", HmacSha256Base64(d.event.secret, d.event.body));
    request.set("X-Shopify-Shop-Domain", d.event.shop_domain);
    request.set("X-Shopify-Webhook-Id", d.webhook_id);
    request.set("X-Shopify-Event-Id", d.event.event_id);
    request.set("X-Shopify-Triggered-At", FormatUtcTimeMs(d.event.triggered_ms));
    request.set("X-Shopify-API-Version", d.event.api_version);
    request.set("User-Agent", "Shopify-Captain-Hook");
    std::ostream& out = session.sendRequest(request);
    out << d.event.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    in.ignore(std::numeric_limits<std::streamsize>::max());
    attempt.status = static_cast<int>(response.getStatus());
  } catch (const Poco::TimeoutException&) {
    attempt.error = "no answer within 5 s";
  } catch (const Poco::Exception& e) {
    attempt.error = e.displayText();
  } catch (const std::exception& e) {
    attempt.error = e.what();
  }
  return attempt;
}

void WebhookDispatcher::Record(Delivery& d, const std::vector<Attempt>& attempts) {
  for (const auto& a : attempts) d.attempts.push_back(a);
  const Attempt& last = attempts.back();
  if (last.status >= 200 && last.status < 300) {
    d.state = "delivered";
    return;
  }
  const int retries_done = static_cast<int>(d.attempts.size()) - 1 - (d.duplicate ? 1 : 0);
  if (retries_done >= kWebhookMaxRetries) {
    d.state = "failed";
    return;
  }
  d.state = "pending";
  d.due_ms = last.at_ms + (kWebhookFirstRetryMs << retries_done);
}

void WebhookDispatcher::RunDue() {
  std::lock_guard run(run_mutex_);
  for (;;) {
    std::vector<Delivery*> due;
    {
      std::lock_guard lock(mutex_);
      const std::int64_t now = clock_.NowMs();
      for (const auto& d : deliveries_) {
        if (d->state == "pending" && d->due_ms <= now) due.push_back(d.get());
      }
      std::sort(due.begin(), due.end(), [](const Delivery* a, const Delivery* b) {
        return a->due_ms != b->due_ms ? a->due_ms < b->due_ms : a->order_key < b->order_key;
      });
      for (Delivery* d : due) d->state = "sending";
    }
    if (due.empty()) return;
    for (Delivery* d : due) {
      std::vector<Attempt> attempts{Send(*d)};
      if (d->duplicate && d->attempts.empty()) attempts.push_back(Send(*d));
      std::lock_guard lock(mutex_);
      Record(*d, attempts);
    }
  }
}

void WebhookDispatcher::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(100));
      if (stopping_) return;
    }
    RunDue();
  }
}

nlohmann::json WebhookDispatcher::DeliveriesJson(const std::string& shop_domain) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : deliveries_) {
    if (d->event.shop_domain != shop_domain) continue;
    nlohmann::json attempts = nlohmann::json::array();
    for (const auto& a : d->attempts) {
      nlohmann::json item = {
          {"at", a.at_ms}, {"at_iso", FormatUtcTimeMs(a.at_ms)}, {"status", a.status}};
      if (!a.error.empty()) item["error"] = a.error;
      attempts.push_back(std::move(item));
    }
    nlohmann::json item = {{"webhook_id", d->webhook_id},
                           {"event_id", d->event.event_id},
                           {"topic", d->event.topic},
                           {"address", d->event.address},
                           {"subscription_id", d->event.subscription_id},
                           {"triggered_at", FormatUtcTimeMs(d->event.triggered_ms)},
                           {"state", d->state == "sending" ? "pending" : d->state},
                           {"attempts", std::move(attempts)}};
    if (d->state == "pending") item["next_attempt_at"] = d->due_ms;
    if (!d->fault.empty()) item["fault"] = d->fault;
    list.push_back(std::move(item));
  }
  return list;
}

}  // namespace storeflow::shopify_sim
