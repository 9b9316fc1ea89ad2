// The options of an `http:` trigger written as a map: `auth:`, `cors:` and
// `rate_limit:` (docs/workflow-dsl.md, "http triggers").

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <yaml-cpp/yaml.h>

#include "common/did_you_mean.h"
#include "common/duration.h"
#include "workflow/parse_context.h"

namespace storeflow::workflow::internal {
namespace {

const std::vector<std::string> kAuthSchemes = {"none", "bearer", "api_key",
                                               "hmac", "stripe", "jwt"};
const std::vector<std::string> kAuthKeys = {"scheme",    "secret",   "secrets",  "header",
                                            "algorithm", "encoding", "prefix",   "tolerance",
                                            "jwks",      "issuer",   "audience", "leeway"};
// The keys each scheme reads (besides `scheme`).
const std::map<std::string, std::vector<std::string>> kSchemeKeys = {
    {"none", {}},
    {"bearer", {"secret", "secrets"}},
    {"api_key", {"secret", "secrets", "header"}},
    {"hmac", {"secret", "secrets", "header", "algorithm", "encoding", "prefix"}},
    {"stripe", {"secret", "secrets", "header", "tolerance"}},
    {"jwt", {"secret", "secrets", "algorithm", "jwks", "issuer", "audience", "leeway"}},
};
const std::vector<std::string> kCorsKeys = {"allowed_origins", "allowed_methods", "allowed_headers",
                                            "max_age"};
const std::vector<std::string> kRateKeys = {"per_client", "burst"};

bool IsHeaderName(std::string_view name) {
  static constexpr std::string_view kTokenChars = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kTokenChars.find(c) != std::string_view::npos;
  });
}

bool IsSecretName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// Strings of a list value (a single string is a list of one).
std::optional<std::vector<std::pair<std::string, SourceLocation>>> StringList(
    ParseContext& ctx, const Entry& e, std::string_view what) {
  std::vector<std::pair<std::string, SourceLocation>> out;
  if (e.value.IsScalar()) {
    out.emplace_back(e.value.Scalar(), e.value_loc);
    return out;
  }
  if (!e.value.IsSequence()) {
    ctx.Error(e.value_loc,
              "'" + std::string(what) + "' must be a list of strings, got " + Describe(e.value));
    return std::nullopt;
  }
  bool ok = true;
  for (const YAML::Node& item : e.value) {
    const SourceLocation loc = item.IsNull() ? e.value_loc : ctx.At(item);
    if (!item.IsScalar()) {
      ctx.Error(loc,
                "each item of '" + std::string(what) + "' must be a string, got " + Describe(item));
      ok = false;
      continue;
    }
    out.emplace_back(item.Scalar(), loc);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::int64_t> Seconds(ParseContext& ctx, const Entry& e, std::string_view what,
                                    std::int64_t max_s) {
  auto text = ctx.String(e, what);
  if (!text) return std::nullopt;
  auto d = ParseDuration(*text);
  if (!d.ok()) {
    ctx.Error(e.value_loc, "'" + std::string(what) + "': " + d.status().message());
    return std::nullopt;
  }
  const std::int64_t s = d->count() / 1000;
  if (d->count() % 1000 != 0 || s > max_s) {
    ctx.Error(e.value_loc, "'" + std::string(what) + "' must be whole seconds up to " +
                               FormatDuration(std::chrono::seconds(max_s)) + ", got '" + *text +
                               "'");
    return std::nullopt;
  }
  return s;
}

}  // namespace

bool ParseHttpAuth(ParseContext& ctx, const Entry& e, HttpAuth& auth) {
  if (e.value.IsScalar()) {
    if (e.value.Scalar() == "none") return true;
    std::string msg =
        "'auth' as a word can only be 'none'; the other schemes take a map such as "
        "'auth: {scheme: bearer, secret: SHOP_API_TOKEN}'";
    if (std::find(kAuthSchemes.begin(), kAuthSchemes.end(), e.value.Scalar()) ==
        kAuthSchemes.end()) {
      msg = "unknown auth scheme '" + e.value.Scalar() +
            "' (valid schemes: " + JoinNames(kAuthSchemes) + ")";
    }
    ctx.Error(e.value_loc, msg);
    return false;
  }
  if (!ctx.ExpectMap(e, "auth")) return false;
  std::vector<Entry> fields = ctx.Entries(e.value, "'auth'", kAuthKeys);
  auto scheme_field =
      std::find_if(fields.begin(), fields.end(), [](const Entry& f) { return f.key == "scheme"; });
  if (scheme_field == fields.end()) {
    ctx.Error(e.value_loc, "'auth' needs 'scheme' (" + JoinNames(kAuthSchemes) + ")");
    return false;
  }
  auto scheme = ctx.String(*scheme_field, "scheme");
  if (!scheme) return false;
  if (std::find(kAuthSchemes.begin(), kAuthSchemes.end(), *scheme) == kAuthSchemes.end()) {
    std::string msg =
        "unknown auth scheme '" + *scheme + "' (valid schemes: " + JoinNames(kAuthSchemes) + ")";
    if (auto close = ClosestMatch(*scheme, kAuthSchemes)) msg += "; did you mean '" + *close + "'?";
    ctx.Error(scheme_field->value_loc, msg);
    return false;
  }
  auth.scheme = *scheme;
  const std::vector<std::string>& applies = kSchemeKeys.at(auth.scheme);
  bool ok = true;
  std::optional<SourceLocation> encoding_loc;
  for (const Entry& f : fields) {
    if (f.key == "scheme") continue;
    if (std::find(applies.begin(), applies.end(), f.key) == applies.end()) {
      ctx.Error(f.key_loc, "'" + f.key + "' does not apply to auth scheme '" + auth.scheme + "'" +
                               (applies.empty() ? "" : " (its keys: " + JoinNames(applies) + ")"));
      ok = false;
      continue;
    }
    if (f.key == "secret" || f.key == "secrets") {
      auto names = StringList(ctx, f, f.key);
      if (!names) {
        ok = false;
        continue;
      }
      for (auto& [name, loc] : *names) {
        if (!IsSecretName(name)) {
          ctx.Error(loc, "'" + name +
                             "' is not a secret name (letters, digits and _ - .): auth names "
                             "secrets of the engine configuration, it never holds one");
          ok = false;
          continue;
        }
        auth.secrets.push_back({name, loc});
      }
    } else if (f.key == "header") {
      auto text = ctx.String(f, "header");
      if (text && !IsHeaderName(*text)) {
        ctx.Error(f.value_loc, "'header' must be an HTTP header name, got '" + *text + "'");
        text.reset();
      }
      if (!text) ok = false;
      if (text) auth.header = *text;
    } else if (f.key == "algorithm") {
      auto text = ctx.String(f, "algorithm");
      const std::vector<std::string> valid = auth.scheme == "jwt"
                                                 ? std::vector<std::string>{"HS256", "RS256"}
                                                 : std::vector<std::string>{"sha256", "sha1"};
      if (text && std::find(valid.begin(), valid.end(), *text) == valid.end()) {
        ctx.Error(f.value_loc, "unknown " + auth.scheme + " algorithm '" + *text +
                                   "' (valid: " + JoinNames(valid) + ")");
        text.reset();
      }
      if (!text) ok = false;
      if (text) auth.algorithm = *text;
    } else if (f.key == "encoding") {
      if (auto base64 = ctx.Choice<bool>(f, "encoding", {{"hex", false}, {"base64", true}})) {
        auth.base64 = *base64;
      } else {
        ok = false;
      }
    } else if (f.key == "prefix") {
      if (auto text = ctx.String(f, "prefix"))
        auth.prefix = *text;
      else
        ok = false;
    } else if (f.key == "tolerance") {
      if (auto s = Seconds(ctx, f, "tolerance", 3600); s && *s > 0) {
        auth.tolerance_s = *s;
      } else {
        if (s) ctx.Error(f.value_loc, "'tolerance' must be greater than 0");
        ok = false;
      }
    } else if (f.key == "leeway") {
      if (auto s = Seconds(ctx, f, "leeway", 300))
        auth.leeway_s = *s;
      else
        ok = false;
    } else if (f.key == "jwks") {
      auto text = ctx.String(f, "jwks");
      if (text && text->empty()) {
        ctx.Error(f.value_loc, "'jwks' is empty (the path of a JWKS file)");
        text.reset();
      }
      if (text)
        auth.jwks = {*text, f.value_loc};
      else
        ok = false;
    } else if (f.key == "issuer") {
      if (auto text = ctx.String(f, "issuer"))
        auth.issuer = *text;
      else
        ok = false;
    } else if (f.key == "audience") {
      if (auto text = ctx.String(f, "audience"))
        auth.audience = *text;
      else
        ok = false;
    }
  }
  if (!ok) return false;
  // What each scheme needs.
  const bool needs_secret =
      auth.scheme != "none" && !(auth.scheme == "jwt" && auth.algorithm == "RS256");
  if (needs_secret && auth.secrets.empty()) {
    ctx.Error(e.value_loc, "auth scheme '" + auth.scheme +
                               "' needs 'secret' (or 'secrets'): the name of an engine secret");
    return false;
  }
  if (auth.scheme == "api_key" && auth.header.empty()) auth.header = "X-Api-Key";
  if (auth.scheme == "stripe" && auth.header.empty()) auth.header = "Stripe-Signature";
  if (auth.scheme == "hmac") {
    if (auth.header.empty()) {
      ctx.Error(e.value_loc,
                "auth scheme 'hmac' needs 'header' (the header holding the signature)");
      return false;
    }
    if (auth.algorithm.empty()) auth.algorithm = "sha256";
  }
  if (auth.scheme == "jwt") {
    if (auth.algorithm.empty()) {
      ctx.Error(e.value_loc,
                "auth scheme 'jwt' needs 'algorithm' (HS256 with 'secret', RS256 with "
                "'jwks')");
      return false;
    }
    if (auth.algorithm == "RS256" && auth.jwks.name.empty()) {
      ctx.Error(e.value_loc, "jwt algorithm RS256 needs 'jwks' (the path of a JWKS file)");
      return false;
    }
    if (auth.algorithm == "RS256" && !auth.secrets.empty()) {
      ctx.Error(auth.secrets.front().loc, "jwt algorithm RS256 verifies with 'jwks', not a secret");
      return false;
    }
    if (auth.algorithm == "HS256" && !auth.jwks.name.empty()) {
      ctx.Error(auth.jwks.loc, "'jwks' is for algorithm RS256; HS256 verifies with 'secret'");
      return false;
    }
  }
  return true;
}

bool ParseHttpCors(ParseContext& ctx, const Entry& e, HttpCors& cors) {
  if (!ctx.ExpectMap(e, "cors")) return false;
  bool ok = true;
  bool has_origins = false;
  for (const Entry& f : ctx.Entries(e.value, "'cors'", kCorsKeys)) {
    if (f.key == "max_age") {
      if (auto s = Seconds(ctx, f, "max_age", 86400))
        cors.max_age_s = *s;
      else
        ok = false;
      continue;
    }
    auto items = StringList(ctx, f, f.key);
    if (!items) {
      ok = false;
      continue;
    }
    for (auto& [text, loc] : *items) {
      if (f.key == "allowed_origins") {
        has_origins = true;
        const bool origin =
            text == "*" ||
            ((text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0) &&
             text.find('/', text.find("//") + 2) == std::string::npos && text.size() > 8);
        if (!origin) {
          ctx.Error(loc, "'" + text +
                             "' is not an origin: write scheme://host[:port] with no path "
                             "(e.g. https://shop.example.com) or \"*\"");
          ok = false;
          continue;
        }
        cors.allowed_origins.push_back(text);
      } else if (f.key == "allowed_methods") {
        static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
        if (std::find(kMethods.begin(), kMethods.end(), text) == kMethods.end()) {
          ctx.Error(loc, "unknown method '" + text +
                             "' in allowed_methods (valid: " + JoinNames(kMethods) + ")");
          ok = false;
          continue;
        }
        cors.allowed_methods.push_back(text);
      } else {
        if (!IsHeaderName(text)) {
          ctx.Error(loc, "'" + text + "' is not an HTTP header name");
          ok = false;
          continue;
        }
        cors.allowed_headers.push_back(text);
      }
    }
  }
  if (ok && !has_origins) {
    ctx.Error(e.value_loc, "'cors' needs 'allowed_origins' (e.g. [https://shop.example.com])");
    ok = false;
  }
  return ok;
}

bool ParseHttpRateLimit(ParseContext& ctx, const Entry& e, HttpRateLimit& limit) {
  if (!ctx.ExpectMap(e, "rate_limit")) return false;
  bool ok = true;
  // Not a std::optional: GCC 12 warns (-Wmaybe-uninitialized) on reading one here.
  std::int64_t burst = 0;  // 0: not given
  bool has_rate = false;
  for (const Entry& f : ctx.Entries(e.value, "'rate_limit'", kRateKeys)) {
    if (f.key == "burst") {
      const std::optional<std::int64_t> given = ctx.Integer(f, "burst");
      if (given && (*given < 1 || *given > 1'000'000)) {
        ctx.Error(f.value_loc, "'burst' must be from 1 to 1000000");
      } else if (given) {
        burst = *given;
      }
      if (burst == 0) ok = false;
      continue;
    }
    auto text = ctx.String(f, "per_client");
    if (!text) {
      ok = false;
      continue;
    }
    auto rate = ParseRate(*text);
    if (!rate) {
      ctx.Error(f.value_loc,
                "'per_client' must be a rate such as \"10/s\", \"300/m\" or "
                "\"1000/h\" (a positive number per s, m or h), got '" +
                    *text + "'");
      ok = false;
      continue;
    }
    limit.per_second = *rate;
    limit.text = *text;
    has_rate = true;
  }
  if (ok && !has_rate) {
    ctx.Error(e.value_loc, "'rate_limit' needs 'per_client' (e.g. per_client: \"10/s\")");
    ok = false;
  }
  if (!ok) return false;
  limit.burst = burst > 0 ? static_cast<double>(burst) : std::max(1.0, std::ceil(limit.per_second));
  return true;
}

std::optional<double> ParseRate(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const std::string number(text.substr(0, slash));
  const std::string_view unit = text.substr(slash + 1);
  double per = 0;
  if (unit == "s")
    per = 1;
  else if (unit == "m" || unit == "min")
    per = 60;
  else if (unit == "h")
    per = 3600;
  else
    return std::nullopt;
  if (!std::all_of(number.begin(), number.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
      })) {
    return std::nullopt;
  }
  double count = 0;
  try {
    std::size_t used = 0;
    count = std::stod(number, &used);
    if (used != number.size()) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!(count > 0) || !std::isfinite(count) || count > 1e6) return std::nullopt;
  return count / per;
}

}  // namespace storeflow::workflow::internal
