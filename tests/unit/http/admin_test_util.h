#pragma once

// Shared fixture of the admin API tests: a real engine on a fresh store (SQLite,
// and PostgreSQL when STOREFLOW_TEST_PG_URL is set) with a virtual clock, and an
// AdminApi on it that the tests call with built requests. Every JSON answer read
// through CallJson is checked against docs/openapi.yaml (openapi_contract.h).

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "http/admin_api.h"
#include "openapi_contract.h"
#include "runtime_fixture.h"

namespace storeflow::http::testing {

using store::TimeMs;
using store::testing::kT0;

inline constexpr const char* kToken = "test-admin-token-5b1f0c";

// "a%2Fb+c" -> "a/b c".
inline std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// A request as the server would hand it over: "GET", "/api/v1/runs?status=failed".
inline Request MakeRequest(const std::string& method, const std::string& target,
                           const std::string& body = "", bool with_token = true) {
  Request request;
  request.method = method;
  const auto q = target.find('?');
  request.path = PercentDecode(target.substr(0, q));
  if (q != std::string::npos) {
    request.query = target.substr(q + 1);
    std::string_view rest = request.query;
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      std::string_view part = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      const auto eq = part.find('=');
      request.query_params.emplace(
          PercentDecode(part.substr(0, eq)),
          eq == std::string_view::npos ? std::string() : PercentDecode(part.substr(eq + 1)));
    }
  }
  if (with_token) request.headers.emplace_back("authorization", std::string("Bearer ") + kToken);
  if (!body.empty()) request.headers.emplace_back("content-type", "application/json");
  request.body = body;
  request.request_id = "test";
  request.remote_address = "127.0.0.1";
  return request;
}

inline std::string HeaderOf(const Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class AdminApiTest : public runtime::testing::RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    AdminApiOptions options;
    options.token = kToken;
    options.default_page_size = 2;
    options.max_page_size = 10;
    api_ = std::make_unique<AdminApi>(*store_, *engine_, options);
  }

  void TearDown() override {
    api_.reset();
    RuntimeTest::TearDown();
  }

  Response Call(const std::string& method, const std::string& target,
                const std::string& body = "") {
    return api_->Handle(MakeRequest(method, target, body));
  }

  // Calls and parses the JSON body, expecting `status`.
  Json CallJson(const std::string& method, const std::string& target, int status,
                const std::string& body = "") {
    Response response = Call(method, target, body);
    EXPECT_EQ(response.status, status) << method << " " << target << ": " << response.body;
    EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/json");
    Json parsed = Json::parse(response.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << response.body;
    // Every answer is what docs/openapi.yaml documents for it.
    if (!parsed.is_discarded()) {
      EXPECT_EQ(OpenApiContract::Get().Check(method, target.substr(0, target.find('?')),
                                             response.status, parsed),
                "");
    }
    return parsed;
  }
  Json Get(const std::string& target, int status = 200) { return CallJson("GET", target, status); }
  Json Post(const std::string& target, const std::string& body = "", int status = 200) {
    return CallJson("POST", target, status, body);
  }

  // A workflow whose test.act step fails permanently when the event has fail: true.
  void LoadOrders() {
    Load(R"(workflow: orders
description: charge an order
on: [{event: order.created}]
key: event.id
steps:
  - id: charge
    uses: test.act
    with: { id: "${{ event.id }}", fail: "${{ event.fail }}" }
)");
    action_->set_script([](const Json& input, const runtime::ActionContext&, int) {
      const Json fail = input.value("fail", Json());
      if (fail == true || fail == "true") {
        return runtime::ActionResult(runtime::ActionError::Permanent("declined", "card declined"));
      }
      return runtime::ActionResult(Json{{"charged", input["id"]}});
    });
  }

  std::unique_ptr<AdminApi> api_;
};

}  // namespace storeflow::http::testing
