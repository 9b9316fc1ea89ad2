// A `respond` step whose rendered headers carry a line break (from request data,
// say) fails the step with an error naming the header, instead of handing the
// HTTP writer a response that would split.

#include "runtime/respond_headers.h"

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

class RespondHeadersTest : public RuntimeTest {};

TEST_P(RespondHeadersTest, ALineBreakInARenderedHeaderFailsTheStepNamingIt) {
  Load(R"(workflow: echo-header
on: [{http: POST /notes}]
steps:
  - id: answer
    respond:
      status: 200
      headers: { X-Note: "${{ event.note }}" }
      body: { ok: true }
)");
  const auto good = Finish(Start("echo-header", {{"note", "plain text"}}));
  EXPECT_EQ(good.status, RunStatus::kCompleted) << good.error.dump();
  EXPECT_EQ(good.output["headers"]["X-Note"], "plain text");

  const auto id = Start("echo-header", {{"note", "x\r\nSet-Cookie: session=evil"}});
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["step"], "answer");
  EXPECT_EQ(run.error["code"], "invalid_header");
  EXPECT_EQ(run.error["message"],
            "respond 'headers': the value of header 'X-Note' contains a carriage return (CR)");
  EXPECT_FALSE(run.state.contains("response")) << run.state.dump();
}

TEST(RespondHeadersCheckTest, NamesAndValuesAreChecked) {
  EXPECT_FALSE(CheckRespondHeaders(Json()));
  EXPECT_FALSE(CheckRespondHeaders(Json::object()));
  EXPECT_FALSE(CheckRespondHeaders({{"X-Count", 3}, {"Content-Type", "text/plain"}}));
  auto lf = CheckRespondHeaders({{"X-A", "1\n2"}});
  ASSERT_TRUE(lf);
  EXPECT_EQ(lf->code, "invalid_header");
  EXPECT_TRUE(lf->permanent());
  EXPECT_EQ(lf->message, "respond 'headers': the value of header 'X-A' contains a line feed (LF)");
  auto name = CheckRespondHeaders({{"Bad Name", "v"}});
  ASSERT_TRUE(name);
  EXPECT_NE(name->message.find("'Bad Name'"), std::string::npos);
  auto not_map = CheckRespondHeaders(Json::array({"X-A: 1"}));
  ASSERT_TRUE(not_map);
  EXPECT_EQ(not_map->message, "respond 'headers' must be a map of header name -> value, got array");
}

STOREFLOW_INSTANTIATE_STORE_TESTS(RespondHeadersTest);

}  // namespace
}  // namespace storeflow::runtime::testing
