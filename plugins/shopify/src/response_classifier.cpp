#include "response_classifier.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace storeflow::plugins::shopify {
namespace {

using sdk::Json;

std::string Cut(std::string_view text, std::size_t max = 300) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // UTF-8
  return std::string(text.substr(0, end)) + "...";
}

std::string ErrorsText(const Json& errors) {
  if (errors.is_string()) return errors.get<std::string>();
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (errors.is_object()) {
    for (const auto& [field, value] : errors.items()) {
      if (value.is_array()) {
        for (const Json& m : value)
          add(field + " " + (m.is_string() ? m.get<std::string>() : m.dump()));
      } else {
        add(field + " " + (value.is_string() ? value.get<std::string>() : value.dump()));
      }
    }
  } else if (errors.is_array()) {
    for (const Json& e : errors) {
      if (e.is_object() && e.contains("message") && e["message"].is_string()) {
        add(e["message"].get<std::string>());
      } else {
        add(e.is_string() ? e.get<std::string>() : e.dump());
      }
    }
  } else {
    out = errors.dump();
  }
  return out;
}

std::string StatusCode(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 402: return "payment_required";  // the shop is frozen
    case 403: return "forbidden";
    case 404: return "not_found";
    case 406: return "not_acceptable";
    case 409: return "conflict";
    case 422: return "unprocessable";
    case 423: return "locked";
    default: return "http_" + std::to_string(status);
  }
}

}  // namespace

sdk::Error Failure::ToError() const {
  if (retryable) return sdk::Error::Retryable(code, message, retry_after_ms);
  return sdk::Error::Permanent(code, message);
}

std::string ShopifyErrorMessage(std::string_view body) {
  Json parsed = Json::parse(body, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_object()) {
    if (parsed.contains("errors")) return Cut(ErrorsText(parsed["errors"]));
    if (parsed.contains("error")) {
      std::string text = ErrorsText(parsed["error"]);
      if (parsed.contains("error_description") && parsed["error_description"].is_string()) {
        text += ": " + parsed["error_description"].get<std::string>();
      }
      return Cut(text);
    }
  }
  return body.empty() ? "(empty body)" : Cut(body);
}

std::int64_t ParseRetryAfterMs(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return -1;
  for (char c : value) {
    if (!(c == '.' || (c >= '0' && c <= '9'))) return -1;
  }
  std::string text(value);
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(seconds) || seconds < 0 ||
      seconds > 86400) {
    return -1;
  }
  return static_cast<std::int64_t>(std::ceil(seconds * 1000));
}

std::optional<CallLimit> ParseCallLimit(std::string_view value) {
  std::size_t slash = value.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<int> {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    int out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size() || out < 0) return std::nullopt;
    return out;
  };
  auto used = number(value.substr(0, slash));
  auto max = number(value.substr(slash + 1));
  if (!used || !max || *max == 0) return std::nullopt;
  return CallLimit{*used, *max};
}

std::optional<Failure> ClassifyHttp(const HttpResponse& response, std::string_view what) {
  const int status = response.status;
  if (status >= 200 && status < 300) return std::nullopt;
  Failure f;
  std::string shopify = ShopifyErrorMessage(response.body);
  std::string prefix = std::string(what) + ": HTTP " + std::to_string(status) + ": ";
  if (status == 429) {
    f.retryable = true;
    f.code = "rate_limited";
    f.retry_after_ms = ParseRetryAfterMs(response.Header("Retry-After").value_or(""));
    if (f.retry_after_ms < 0) f.retry_after_ms = 1000;
    f.message = prefix + shopify;
  } else if (status >= 500) {
    f.retryable = true;
    f.code = "server_error";
    f.retry_after_ms = ParseRetryAfterMs(response.Header("Retry-After").value_or(""));
    f.message = prefix + shopify;
  } else {
    f.retryable = false;
    f.code = StatusCode(status);
    f.message = prefix + shopify;
    if (status == 401) {
      f.message += " (check the access token secret named in the shopify plugin's config)";
    } else if (status == 403) {
      f.message += " (the app lacks an access scope this call needs; see the plugin's README)";
    }
  }
  return f;
}

std::optional<Failure> ClassifyGraphQLErrors(const Json& body, std::string_view what) {
  if (!body.is_object() || !body.contains("errors")) return std::nullopt;
  const Json& errors = body["errors"];
  if (errors.is_null() || (errors.is_array() && errors.empty())) return std::nullopt;
  Failure f;
  f.code = "graphql_error";
  if (errors.is_array()) {
    for (const Json& e : errors) {
      if (!e.is_object()) continue;
      auto ext = e.find("extensions");
      if (ext == e.end() || !ext->is_object()) continue;
      auto code = ext->find("code");
      if (code == ext->end() || !code->is_string()) continue;
      std::string c = code->get<std::string>();
      if (c == "THROTTLED") {
        f.retryable = true;
        f.code = "throttled";
      } else if (c == "MAX_COST_EXCEEDED") {
        f.code = "max_cost_exceeded";
      } else if (c == "ACCESS_DENIED") {
        f.code = "forbidden";
      } else if (c == "INTERNAL_SERVER_ERROR") {
        f.retryable = true;
        f.code = "server_error";
      }
    }
  }
  f.message = std::string(what) + ": " + Cut(ErrorsText(errors), 600);
  return f;
}

std::optional<Failure> ClassifyUserErrors(const Json& payload, std::string_view what) {
  if (!payload.is_object()) return std::nullopt;
  auto it = payload.find("userErrors");
  if (it == payload.end() || !it->is_array() || it->empty()) return std::nullopt;
  std::string text;
  for (const Json& e : *it) {
    std::string part;
    if (e.contains("field") && e["field"].is_array() && !e["field"].empty()) {
      for (const Json& f : e["field"]) {
        part += (part.empty() ? "" : ".") + (f.is_string() ? f.get<std::string>() : f.dump());
      }
      part += ": ";
    }
    part += e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>()
                                                              : e.dump();
    text += (text.empty() ? "" : "; ") + part;
  }
  Failure f;
  f.code = "user_errors";
  f.message = std::string(what) + ": " + Cut(text, 600);
  return f;
}

}  // namespace storeflow::plugins::shopify
