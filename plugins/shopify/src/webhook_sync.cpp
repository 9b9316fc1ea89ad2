// shopify.webhook_subscriptions_sync: makes the shop send the given topics to
// one address (REST webhooks.json). Idempotent: a subscription that exists is
// kept; it removes only what it created earlier (remembered in the plugin's
// key/value space) unless told otherwise. Without `topics` it registers what
// the engine's loaded workflows listen to, without `address` the engine's
// public webhook URL (host services source_topics / public_url, ABI 1.2).
#include <cctype>
#include <iterator>
#include <set>

#include "json_input.h"
#include "shopify_actions.h"
#include "shopify_ids.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Error;
using sdk::Json;

constexpr int kMaxListPages = 20;
// The engine's webhook source for Shopify and where it receives its deliveries
// (engine/src/http/webhook_ingress.cpp: POST /webhooks/{source}).
constexpr const char* kWebhookSource = "shopify";
constexpr const char* kWebhookPath = "/webhooks/shopify";

struct Subscription {
  std::int64_t id = 0;
  std::string topic;
  std::string address;
};

Json Describe(const Subscription& s) {
  return Json{{"id", s.id}, {"topic", s.topic}, {"address", s.address}};
}

bool IsTopic(const std::string& topic) {
  std::size_t slash = topic.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == topic.size()) return false;
  for (char c : topic) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '/')) {
      return false;
    }
  }
  return true;
}

std::string CreatedKey(const std::string& domain) {
  return "webhooks/created/" + domain;
}

}  // namespace

Json ShopifyActions::WebhookSync(const Json& input, const ShopConfig& shop, const sdk::Call& call) {
  std::string address;
  if (auto given = storage::OptionalString(input, "address")) {
    address = *given;
  } else if (auto base = host_.PublicUrl()) {
    address = *base + kWebhookPath;
  } else {
    throw Error::Permanent("invalid_input",
                           "`address` is missing and the engine has no public URL: set "
                           "http.public_url (STOREFLOW_HTTP_PUBLIC_URL) or give `address`");
  }
  if (!(address.starts_with("https://") || address.starts_with("http://"))) {
    throw Error::Permanent("invalid_input",
                           "`address` must be the engine's public http(s) URL for Shopify "
                           "webhooks, got \"" +
                               address + "\"");
  }
  std::set<std::string> topics;
  std::string topics_from = "topics";
  if (input.contains("topics")) {
    if (!input["topics"].is_array()) {
      throw Error::Permanent("invalid_input",
                             "`topics` must be a list such as [\"orders/create\"]");
    }
    for (const Json& t : input["topics"]) {
      if (!t.is_string() || !IsTopic(t.get<std::string>())) {
        throw Error::Permanent(
            "invalid_input", "`topics` holds " + t.dump() + ", not a topic such as orders/create");
      }
      topics.insert(t.get<std::string>());
    }
  } else if (auto listened = host_.SourceTopics(kWebhookSource)) {
    topics_from = "workflows";
    for (const std::string& t : *listened) {
      // A workflow may wait for a topic Shopify does not have (a typo): say so.
      if (!IsTopic(t)) {
        throw Error::Permanent("invalid_input", "a loaded workflow listens to \"shopify/" + t +
                                                    "\", which is not a Shopify topic");
      }
      topics.insert(t);
    }
  } else {
    throw Error::Permanent("invalid_input",
                           "`topics` is missing and the engine cannot say what its workflows "
                           "listen to (only `storeflow serve` with ABI 1.2 can): give `topics`, "
                           "e.g. [\"orders/create\"]");
  }
  const std::string format = storage::OptionalString(input, "format").value_or("json");
  if (format != "json" && format != "xml") {
    throw Error::Permanent("invalid_input", "`format` must be json or xml");
  }
  const std::string prune = storage::OptionalString(input, "prune").value_or("created");
  if (prune != "none" && prune != "created" && prune != "all") {
    throw Error::Permanent("invalid_input",
                           "`prune` is \"" + prune + "\"; valid: none, created, all");
  }

  auto list_all = [&]() {
    std::vector<Subscription> all;
    std::optional<std::string> next;
    for (int page = 0; page < kMaxListPages; ++page) {
      QueryParams query{{"limit", "250"}};
      if (next) query.emplace_back("page_info", *next);
      RestAnswer answer = client_.Rest(shop, "GET", "webhooks.json", query, nullptr, call);
      auto list = answer.body.find("webhooks");
      if (list == answer.body.end() || !list->is_array()) {
        throw Error::Retryable("bad_response", "GET webhooks.json: no `webhooks` list");
      }
      for (const Json& w : *list) {
        if (!w.is_object()) continue;
        std::string error;
        auto id = ParseId(w.value("id", Json()), "WebhookSubscription", &error);
        if (!id) continue;
        all.push_back(Subscription{*id, w.value("topic", ""), w.value("address", "")});
      }
      next = answer.links.next_page_info;
      if (!next) break;
    }
    return all;
  };

  // What this plugin created earlier for the shop (ids), kept across runs.
  std::set<std::int64_t> ours;
  if (auto saved = host_.KvGet(CreatedKey(shop.domain))) {
    Json parsed = Json::parse(*saved, nullptr, false);
    if (parsed.is_array()) {
      for (const Json& id : parsed) {
        if (id.is_number_integer()) ours.insert(id.get<std::int64_t>());
      }
    }
  }
  auto save_ours = [&] {
    Json ids = Json::array();
    for (std::int64_t id : ours) ids.push_back(id);
    host_.KvPut(CreatedKey(shop.domain), ids.dump());
  };

  std::vector<Subscription> existing = list_all();
  // Forget ids that no longer exist (deleted by hand).
  std::set<std::int64_t> live;
  for (const Subscription& s : existing) live.insert(s.id);
  for (auto it = ours.begin(); it != ours.end();)
    it = live.count(*it) ? std::next(it) : ours.erase(it);

  Json created = Json::array();
  Json kept = Json::array();
  Json removed = Json::array();
  for (const std::string& topic : topics) {
    const Subscription* found = nullptr;
    for (const Subscription& s : existing) {
      if (s.topic == topic && s.address == address) found = &s;
    }
    if (found != nullptr) {
      kept.push_back(Describe(*found));
      continue;
    }
    Json body{{"webhook", {{"topic", topic}, {"address", address}, {"format", format}}}};
    try {
      RestAnswer answer = client_.Rest(shop, "POST", "webhooks.json", {}, &body, call);
      const Json& w = answer.body.contains("webhook") ? answer.body["webhook"] : Json();
      std::string error;
      auto id = w.is_object() ? ParseId(w.value("id", Json()), "WebhookSubscription", &error)
                              : std::nullopt;
      if (!id) throw Error::Retryable("bad_response", "POST webhooks.json: no webhook id");
      Subscription s{*id, topic, address};
      ours.insert(s.id);
      save_ours();
      created.push_back(Describe(s));
    } catch (const Error& e) {
      // Created by a concurrent sync (or an attempt whose answer was lost).
      if (e.code() != "unprocessable" ||
          std::string(e.what()).find("already been taken") == std::string::npos) {
        throw;
      }
      kept.push_back(Json{{"topic", topic}, {"address", address}});
    }
  }
  if (prune != "none") {
    for (const Subscription& s : existing) {
      if (s.address != address || topics.count(s.topic) > 0) continue;
      if (prune == "created" && ours.count(s.id) == 0) continue;
      try {
        client_.Rest(shop, "DELETE", "webhooks/" + std::to_string(s.id) + ".json", {}, nullptr,
                     call);
      } catch (const Error& e) {
        if (e.code() != "not_found") throw;  // already gone: the goal is reached
      }
      ours.erase(s.id);
      save_ours();
      removed.push_back(Describe(s));
    }
  }
  save_ours();
  Json listed = Json::array();
  for (const std::string& t : topics) listed.push_back(t);
  return Json{{"address", address}, {"topics", listed}, {"topics_from", topics_from},
              {"created", created}, {"kept", kept},     {"removed", removed}};
}

}  // namespace storeflow::plugins::shopify
