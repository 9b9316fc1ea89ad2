// The `on:` section: webhook, http, schedule, queue and event triggers.

#include <algorithm>
#include <cctype>
#include <regex>

#include <yaml-cpp/yaml.h>

#include "common/did_you_mean.h"
#include "workflow/parse_context.h"

namespace storeflow::workflow::internal {
namespace {

const std::vector<std::string> kTriggerKinds = {"webhook", "http", "schedule", "queue", "event"};
const std::vector<std::string> kHttpMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
const std::vector<std::string> kScheduleKeys = {"cron", "timezone"};
const std::vector<std::string> kHttpKeys = {"route", "auth", "cors", "rate_limit"};

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

bool IsWord(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsNameChar);
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// "a/b/c" with every segment a word; at least `min_segments`.
bool IsSlashPath(std::string_view s, std::size_t min_segments) {
  std::size_t segments = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = s.find('/', start);
    std::string_view seg = s.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!IsWord(seg)) return false;
    ++segments;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments >= min_segments;
}

class TriggerParser {
 public:
  explicit TriggerParser(ParseContext& ctx) : ctx_(ctx) {}

  // One `kind: value` pair; the value may be a list of several.
  void ParseKind(const Entry& e, std::vector<Trigger>& out) {
    if (e.value.IsSequence()) {
      if (e.value.size() == 0) ctx_.Error(e.value_loc, "'" + e.key + "' lists no triggers");
      for (const YAML::Node& item : e.value) {
        ParseOne({e.key, item, e.key_loc, item.IsNull() ? e.key_loc : ctx_.At(item)}, out);
      }
      return;
    }
    ParseOne(e, out);
  }

 private:
  void ParseOne(const Entry& e, std::vector<Trigger>& out) {
    if (e.key == "schedule" && e.value.IsMap()) {
      ParseScheduleMap(e, out);
      return;
    }
    if (e.key == "http" && e.value.IsMap()) {
      ParseHttpMap(e, out);
      return;
    }
    if (!e.value.IsScalar()) {
      ctx_.Error(e.value_loc, "'" + e.key + "' trigger must be a string such as " + Example(e.key) +
                                  ", got " + Describe(e.value));
      return;
    }
    const std::string text = e.value.Scalar();
    Trigger t;
    t.loc = e.value_loc;
    if (e.key == "webhook") {
      std::size_t slash = text.find('/');
      if (slash == std::string::npos || !IsWord(text.substr(0, slash)) ||
          !IsSlashPath(text.substr(slash + 1), 1)) {
        ctx_.Error(e.value_loc, "webhook trigger '" + text +
                                    "' must be 'source/topic', e.g. 'shopify/orders/create'");
        return;
      }
      t.spec = WebhookTrigger{text.substr(0, slash), text.substr(slash + 1)};
    } else if (e.key == "http") {
      if (!ParseHttp(e, text, t)) return;
    } else if (e.key == "schedule") {
      if (!ParseSchedule(e, text, "", t)) return;
    } else if (e.key == "queue") {
      std::size_t slash = text.find('/');
      if (slash == std::string::npos || !IsWord(text.substr(0, slash)) ||
          !IsWord(text.substr(slash + 1))) {
        ctx_.Error(e.value_loc,
                   "queue trigger '" + text + "' must be 'plugin/queue-name', e.g. 'sqs/orders'");
        return;
      }
      t.spec = QueueTrigger{text.substr(0, slash), text.substr(slash + 1)};
    } else {
      if (!IsValidEventName(text)) {
        ctx_.Error(e.value_loc,
                   "event trigger '" + text + "' must be a name of letters, digits and _ - . : /");
        return;
      }
      t.spec = EventTrigger{text};
    }
    out.push_back(std::move(t));
  }

  static std::string Example(const std::string& kind) {
    if (kind == "webhook") return "'shopify/orders/create'";
    if (kind == "http") return "'POST /orders'";
    if (kind == "schedule") return "'0 3 * * *'";
    if (kind == "queue") return "'sqs/orders'";
    return "'cart/abandoned'";
  }

  bool ParseHttp(const Entry& e, const std::string& text, Trigger& t) {
    std::size_t space = text.find(' ');
    std::string method = text.substr(0, space);
    std::string path;
    if (space != std::string::npos) {
      std::size_t start = text.find_first_not_of(' ', space);
      if (start != std::string::npos) path = text.substr(start);
    }
    if (path.empty() || path.find(' ') != std::string::npos) {
      ctx_.Error(e.value_loc,
                 "http trigger '" + text + "' must be 'METHOD /path', e.g. 'POST /orders'");
      return false;
    }
    if (std::find(kHttpMethods.begin(), kHttpMethods.end(), method) == kHttpMethods.end()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string msg = "unknown HTTP method '" + method + "' in '" + text +
                        "' (valid methods: " + JoinNames(kHttpMethods) + ")";
      if (std::find(kHttpMethods.begin(), kHttpMethods.end(), upper) != kHttpMethods.end()) {
        msg += "; did you mean '" + upper + "'?";
      } else if (auto match = ClosestMatch(upper, kHttpMethods)) {
        msg += "; did you mean '" + *match + "'?";
      }
      ctx_.Error(e.value_loc, msg);
      return false;
    }
    HttpTrigger http{method, path, {}};
    std::string problem;
    if (path[0] != '/') {
      problem = "must start with '/'";
    } else if (path != "/") {
      std::size_t start = 1;
      while (problem.empty()) {
        std::size_t slash = path.find('/', start);
        std::string seg = path.substr(start, slash == std::string::npos ? slash : slash - start);
        if (seg.empty()) {
          problem = "has an empty segment (a '//' or a trailing '/')";
        } else if (seg.front() == '{') {
          std::string name =
              seg.size() >= 2 && seg.back() == '}' ? seg.substr(1, seg.size() - 2) : "";
          if (!IsIdentifier(name)) {
            problem = "has a bad parameter '" + seg + "' (write {name} with letters, digits and _)";
          } else if (std::find(http.path_params.begin(), http.path_params.end(), name) !=
                     http.path_params.end()) {
            problem = "uses the parameter {" + name + "} twice";
          } else {
            http.path_params.push_back(name);
          }
        } else if (!std::all_of(seg.begin(), seg.end(),
                                [](char c) { return IsNameChar(c) || c == '~'; })) {
          problem =
              "has a segment '" + seg + "' with characters other than letters, digits and _ - . ~";
        }
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
    }
    if (!problem.empty()) {
      ctx_.Error(e.value_loc, "http trigger path '" + path + "' " + problem);
      return false;
    }
    t.spec = std::move(http);
    return true;
  }

  bool ParseSchedule(const Entry& e, const std::string& text, const std::string& zone, Trigger& t) {
    static const std::regex kConfigTemplate(
        R"(^\$\{\{\s*config\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$)");
    std::smatch match;
    if (std::regex_match(text, match, kConfigTemplate)) {
      // Resolved from the config once the whole workflow is read.
      ScheduleTrigger s;
      s.config_key = match[1].str();
      s.timezone = zone.empty() ? "UTC" : zone;
      t.spec = std::move(s);
      return true;
    }
    if (text.find("${{") != std::string::npos) {
      ctx_.Error(e.value_loc,
                 "a schedule takes a cron string or exactly \"${{ config.NAME }}\" (a config "
                 "value holding one), not another expression");
      return false;
    }
    Result<CronSchedule> cron = ParseCron(text);
    if (!cron.ok()) {
      ctx_.Error(e.value_loc, cron.status().message());
      return false;
    }
    ScheduleTrigger s{*cron, zone};
    if (!cron->timezone().empty()) {
      if (!zone.empty()) {
        ctx_.Error(e.value_loc, "the schedule names its time zone twice (CRON_TZ= and 'timezone')");
        return false;
      }
      s.timezone = cron->timezone();
    }
    if (s.timezone.empty()) s.timezone = "UTC";
    t.spec = std::move(s);
    return true;
  }

  // `http: {route: "POST /orders", auth: ..., cors: ..., rate_limit: ...}`.
  void ParseHttpMap(const Entry& e, std::vector<Trigger>& out) {
    std::optional<Entry> route;
    std::vector<Entry> options;
    for (Entry& field : ctx_.Entries(e.value, "an http trigger", kHttpKeys)) {
      if (field.key == "route") {
        route = field;
      } else {
        options.push_back(field);
      }
    }
    if (!route) {
      ctx_.Error(e.value_loc, "an http trigger map needs 'route' (e.g. route: POST /orders)");
      return;
    }
    std::optional<std::string> text = ctx_.String(*route, "route");
    if (!text) return;
    Trigger t;
    t.loc = route->value_loc;
    const bool route_ok = ParseHttp(*route, *text, t);
    HttpTrigger scratch;
    HttpTrigger& http = route_ok ? std::get<HttpTrigger>(t.spec) : scratch;
    // A bad option is reported; the trigger is kept (the workflow fails to load
    // anyway) so that nothing else is reported for want of an http trigger.
    for (const Entry& option : options) {
      if (option.key == "auth") {
        ParseHttpAuth(ctx_, option, http.auth);
      } else if (option.key == "cors") {
        HttpCors cors;
        if (ParseHttpCors(ctx_, option, cors)) http.cors = std::move(cors);
      } else if (option.key == "rate_limit") {
        HttpRateLimit limit;
        if (ParseHttpRateLimit(ctx_, option, limit)) http.rate_limit = limit;
      }
    }
    if (route_ok) out.push_back(std::move(t));
  }

  void ParseScheduleMap(const Entry& e, std::vector<Trigger>& out) {
    std::optional<Entry> cron;
    std::string zone;
    bool ok = true;
    for (Entry& field : ctx_.Entries(e.value, "schedule", kScheduleKeys)) {
      if (field.key == "cron") {
        cron = field;
      } else if (auto text = ctx_.String(field, "timezone")) {
        zone = *text;
        if (zone.empty()) {
          ctx_.Error(field.value_loc, "'timezone' is empty");
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (!cron) {
      ctx_.Error(e.value_loc, "schedule needs 'cron' (e.g. cron: \"0 3 * * *\")");
      return;
    }
    std::optional<std::string> text = ctx_.String(*cron, "cron");
    if (!text || !ok) return;
    Trigger t;
    t.loc = cron->value_loc;
    if (ParseSchedule(*cron, *text, zone, t)) out.push_back(std::move(t));
  }

  ParseContext& ctx_;
};

}  // namespace

std::vector<Trigger> ParseTriggers(ParseContext& ctx, const Entry& on) {
  std::vector<Trigger> out;
  TriggerParser parser(ctx);
  if (on.value.IsMap()) {
    for (Entry& e : ctx.Entries(on.value, "'on'", kTriggerKinds)) parser.ParseKind(e, out);
  } else if (on.value.IsSequence()) {
    for (const YAML::Node& item : on.value) {
      SourceLocation item_loc = item.IsNull() ? on.key_loc : ctx.At(item);
      if (!item.IsMap()) {
        ctx.Error(
            item_loc,
            "each trigger in 'on' must be a map such as 'webhook: shopify/orders/create', got " +
                Describe(item));
        continue;
      }
      std::vector<Entry> entries = ctx.Entries(item, "a trigger", kTriggerKinds);
      if (item.size() > 1 && entries.size() > 1) {
        ctx.Error(entries[1].key_loc, "a trigger has exactly one kind; put '" + entries[1].key +
                                          "' in its own '- " + entries[1].key + ": ...' item");
      }
      if (!entries.empty()) parser.ParseKind(entries[0], out);
    }
    if (on.value.size() == 0) ctx.Error(on.value_loc, "'on' lists no triggers");
  } else {
    ctx.Error(on.value_loc,
              "'on' must be a list of triggers (e.g. '- webhook: shopify/orders/create'), got " +
                  Describe(on.value));
  }
  return out;
}

}  // namespace storeflow::workflow::internal
