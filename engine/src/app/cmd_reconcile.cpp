// `storeflow reconcile [--shop D] [--window 7d] [--resources orders,products]
// [--wait [--timeout 30m]] | list | show ID`: starts a reconciliation on a
// running `storeflow serve` through its admin API (POST /api/v1/reconciliations)
// and prints the answer; lists or shows the reports. The server is --api URL
// (or STOREFLOW_API_URL; default http://127.0.0.1:8080) and the token
// STOREFLOW_ADMIN_TOKEN (or --token-file FILE), never a command-line value.

#include <Poco/URI.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/http_call.h"
#include "common/duration.h"

namespace storeflow::app {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kReconcileUsage =
    "usage: storeflow reconcile [--shop DOMAIN] [--window 7d] [--resources orders,products,...]\n"
    "                           [--wait [--timeout 30m]] [--api URL] [--token-file FILE]\n"
    "       storeflow reconcile list [--limit N]\n"
    "       storeflow reconcile show ID\n"
    "The admin token: STOREFLOW_ADMIN_TOKEN or --token-file; the server: --api or\n"
    "STOREFLOW_API_URL (default http://127.0.0.1:8080).\n";

int Usage(std::ostream& err, std::string_view message) {
  err << "storeflow reconcile: " << message << "\n" << kReconcileUsage;
  return 2;
}

using Reply = HttpReply;

class AdminClient {
 public:
  AdminClient(Poco::URI base, std::string token)
      : base_(std::move(base)), token_(std::move(token)) {}

  Reply Call(const std::string& method, const std::string& path, const std::string& body = "") {
    std::map<std::string, std::string> headers;
    if (!token_.empty()) headers["Authorization"] = "Bearer " + token_;
    return HttpCall(base_.getHost(), base_.getPort(), method, base_.getPath() + path, body,
                    headers);
  }

 private:
  Poco::URI base_;
  std::string token_;
};

// Prints the answer; the exit code: 0 for a 2xx, 1 otherwise.
int Print(const Reply& reply, const std::string& what, std::ostream& out, std::ostream& err) {
  if (!reply.error.empty()) {
    err << "storeflow reconcile: " << what << ": cannot reach the server: " << reply.error << "\n";
    return 1;
  }
  Json body = Json::parse(reply.body, nullptr, false);
  if (reply.status / 100 != 2) {
    err << "storeflow reconcile: " << what << ": HTTP " << reply.status << ": "
        << (body.is_discarded() ? reply.body : body.dump()) << "\n";
    return 1;
  }
  out << (body.is_discarded() ? reply.body : body.dump(2)) << "\n";
  return 0;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int RunReconcileCommand(const Args& input, std::ostream& out, std::ostream& err) {
  Args args = input;
  const auto api = TakeOption(args, "--api");
  const auto token_file = TakeOption(args, "--token-file");
  const auto shop = TakeOption(args, "--shop");
  const auto window = TakeOption(args, "--window");
  const auto resources = TakeOption(args, "--resources");
  const auto timeout = TakeOption(args, "--timeout");
  const auto limit = TakeOption(args, "--limit");
  const bool wait = TakeFlag(args, "--wait");
  for (const auto* option : {&api, &token_file, &shop, &window, &resources, &timeout, &limit}) {
    if (option->has_value() && (*option)->empty()) return Usage(err, "an option lacks its value");
  }
  std::string base = api.value_or("");
  if (base.empty()) {
    const char* env = std::getenv("STOREFLOW_API_URL");
    base = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8080";
  }
  Poco::URI uri;
  try {
    uri = Poco::URI(base);
  } catch (const std::exception& e) {
    return Usage(err, "--api " + base + " is not a URL: " + e.what());
  }
  if (uri.getScheme() != "http" || uri.getHost().empty()) {
    return Usage(err,
                 "--api must be an http:// URL of the server (e.g. http://127.0.0.1:8080), "
                 "got " +
                     base);
  }
  while (!uri.getPath().empty() && uri.getPath().back() == '/') {
    uri.setPath(uri.getPath().substr(0, uri.getPath().size() - 1));
  }
  std::string token;
  if (token_file) {
    std::ifstream file(*token_file);
    if (!file) return Usage(err, "cannot read --token-file " + *token_file);
    std::getline(file, token);
  } else if (const char* env = std::getenv("STOREFLOW_ADMIN_TOKEN")) {
    token = env;
  }
  AdminClient client(uri, token);

  const std::string verb = args.empty() ? "" : args[0];
  if (verb == "list") {
    if (args.size() != 1) return Usage(err, "list takes no arguments");
    return Print(client.Call("GET", "/api/v1/reconciliations?limit=" + limit.value_or("20")),
                 "list", out, err);
  }
  if (verb == "show") {
    if (args.size() != 2) return Usage(err, "show takes one ID");
    return Print(client.Call("GET", "/api/v1/reconciliations/" + args[1]), "show", out, err);
  }
  if (!args.empty()) return Usage(err, "unknown argument '" + args[0] + "'");

  Json body = Json::object();
  if (shop) body["shop"] = *shop;
  if (window) body["window"] = *window;
  if (resources) body["resources"] = SplitCommas(*resources);
  Reply started = client.Call("POST", "/api/v1/reconciliations", body.dump());
  if (!wait || started.status != 202) return Print(started, "start", out, err);
  const Json run = Json::parse(started.body, nullptr, false);
  if (run.is_discarded() || !run.contains("id")) return Print(started, "start", out, err);
  auto limit_ms = std::chrono::milliseconds(30 * 60 * 1000);
  if (timeout) {
    auto parsed = ParseDuration(*timeout);
    if (!parsed.ok()) return Usage(err, "--timeout: " + parsed.status().message());
    limit_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit_ms;
  const std::string path = "/api/v1/reconciliations/" + run["id"].dump();
  while (true) {
    Reply shown = client.Call("GET", path);
    const Json r = Json::parse(shown.body, nullptr, false);
    const std::string status = !r.is_discarded() && r.contains("status") && r["status"].is_string()
                                   ? r["status"].get<std::string>()
                                   : std::string();
    if (shown.status == 200 && status != "running" && status != "queued") {
      const int printed = Print(shown, "show", out, err);
      return printed != 0 ? printed : (status == "ok" ? 0 : 1);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      err << "storeflow reconcile: reconciliation " << run["id"].dump() << " still " << status
          << " after --timeout; see storeflow reconcile show " << run["id"].dump() << "\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace storeflow::app
