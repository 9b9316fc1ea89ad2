// The admin surface over real HTTP on loopback: cross-origin state-changing
// requests are refused (the CSRF a dev-mode engine without a token is open to),
// bodies must be JSON, and /metrics needs a token when one is set.

#include <memory>

#include "http/admin_api.h"
#include "http/admin_origin.h"
#include "http_fixture.h"

namespace storeflow::http::testing {
namespace {

constexpr char kMetricsToken[] = "metrics-token-0123456789abcdef0123";
constexpr char kAdminToken[] = "admin-token-0123456789abcdef0123456";

TEST(AdminOriginTest, OriginMatchesTheHostOnly) {
  EXPECT_TRUE(OriginMatchesHost("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(OriginMatchesHost("HTTP://LocalHost:8080", "localhost:8080"));
  EXPECT_TRUE(OriginMatchesHost("http://shop.example", "shop.example:80"));
  EXPECT_TRUE(OriginMatchesHost("https://shop.example:443", "shop.example"));
  EXPECT_TRUE(OriginMatchesHost("http://[::1]:8080", "[::1]:8080"));
  EXPECT_FALSE(OriginMatchesHost("http://evil.example", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("http://127.0.0.1:9999", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("https://shop.example", "shop.example:80"));
  EXPECT_FALSE(OriginMatchesHost("null", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("file://", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("http://127.0.0.1:8080/path", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("http://127.0.0.1:8080", ""));
}

TEST(AdminOriginTest, JsonContentTypes) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType("application/merge-patch+json"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/x-www-form-urlencoded"));
  EXPECT_FALSE(IsJsonContentType("multipart/form-data; boundary=x"));
  EXPECT_FALSE(IsJsonContentType("text/json+plain"));
}

class AdminExposureTest : public HttpTest {
 protected:
  // The admin API on the surface, as `storeflow serve --dev` without a token
  // serves it (or with `token`).
  void StartWithAdmin(const std::string& token = "") {
    MakeEngine();
    admin_ = std::make_unique<AdminApi>(*switchable_, *engine_, AdminApiOptions{token});
    before_start_ = [this](Surface& surface) {
      ASSERT_TRUE(admin_->Register(surface.router()).ok());
    };
    StartServer();
  }

  void TearDown() override {
    HttpTest::TearDown();
    admin_.reset();
  }

  std::string SameOrigin() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::unique_ptr<AdminApi> admin_;
};

TEST_P(AdminExposureTest, CrossOriginStateChangingRequestIsRefusedWithoutAToken) {
  StartWithAdmin();
  // What a page on another site can make a browser send: a simple POST.
  Reply forged =
      Send(port_, "POST", "/api/v1/events/1/replay", "", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(forged.json()["error"]["code"], "cross_origin") << forged.body;
  EXPECT_NE(forged.json()["error"]["message"].get<std::string>().find("http://evil.example"),
            std::string::npos);
  Reply form = Send(port_, "POST", "/api/v1/dead-letters/retry", "all=1",
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 403) << form.body;
  EXPECT_EQ(form.json()["error"]["code"], "json_required") << form.body;
  Reply text = Send(port_, "POST", "/api/v1/dead-letters/retry", "{}",
                    {{"Content-Type", "text/plain"}, {"Origin", SameOrigin()}});
  EXPECT_EQ(text.status, 403) << text.body;
  EXPECT_EQ(text.json()["error"]["code"], "json_required") << text.body;

  // The same request from the engine's own origin, or from a client that
  // sends no Origin (curl, scripts), goes through to the handler.
  Reply own = Send(port_, "POST", "/api/v1/events/1/replay", "", {{"Origin", SameOrigin()}});
  EXPECT_EQ(own.status, 404) << own.body;  // no event 1: the handler answered
  Reply curl = Send(port_, "POST", "/api/v1/events/1/replay");
  EXPECT_EQ(curl.status, 404) << curl.body;
  // Reads are not refused: a cross-origin page cannot read the answer anyway.
  Reply read = Send(port_, "GET", "/api/v1/runs", "", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(read.status, 200) << read.body;
}

TEST_P(AdminExposureTest, MetricsNeedTheMetricsOrTheAdminTokenWhenOneIsSet) {
  surface_options_.health.metrics_tokens = {kMetricsToken, kAdminToken};
  StartWithAdmin(kAdminToken);
  Reply open = Send(port_, "GET", "/metrics");
  EXPECT_EQ(open.status, 401) << open.body;
  EXPECT_NE(open.header("WWW-Authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(open.body.find("storeflow_"), std::string::npos);
  Reply wrong = Send(port_, "GET", "/metrics", "", {{"Authorization", "Bearer not-the-token"}});
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  for (const char* token : {kMetricsToken, kAdminToken}) {
    Reply scraped =
        Send(port_, "GET", "/metrics", "", {{"Authorization", std::string("Bearer ") + token}});
    EXPECT_EQ(scraped.status, 200) << scraped.body;
    EXPECT_NE(scraped.body.find("storeflow_store_up"), std::string::npos);
  }
  // The metrics token is not an admin token.
  Reply admin = Send(port_, "GET", "/api/v1/runs", "",
                     {{"Authorization", std::string("Bearer ") + kMetricsToken}});
  EXPECT_EQ(admin.status, 401) << admin.body;
  // Probes stay open.
  EXPECT_EQ(Send(port_, "GET", "/healthz").status, 200);
}

TEST_P(AdminExposureTest, MetricsAreOpenWhenNoTokenIsSet) {
  StartWithAdmin();
  Reply scraped = Send(port_, "GET", "/metrics");
  EXPECT_EQ(scraped.status, 200) << scraped.body;
}

STOREFLOW_INSTANTIATE_STORE_TESTS(AdminExposureTest);

}  // namespace
}  // namespace storeflow::http::testing
