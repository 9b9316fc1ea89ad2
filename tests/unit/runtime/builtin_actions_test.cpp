// The built-in store.* and log actions, through the engine on both backends.

#include <gtest/gtest.h>

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

class BuiltinActionsTest : public RuntimeTest {};

TEST_P(BuiltinActionsTest, PutGetPatchQueryDelete) {
  Load(R"(workflow: records
on: [{event: go}]
steps:
  - id: put_a
    uses: store.put
    with: { collection: carts, key: a-1, value: { total: 10, items: [1, 2] } }
  - id: put_b
    uses: store.put
    with: { collection: carts, key: a-2, value: { total: 5 } }
  - id: put_other
    uses: store.put
    with: { collection: carts, key: b-1, value: { total: 1 } }
  - id: patch
    uses: store.patch
    with: { collection: carts, key: a-1, set: { status: abandoned }, inc: { total: 2.5, emails: 1 } }
  - id: get
    uses: store.get
    with: { collection: carts, key: a-1 }
  - id: missing
    uses: store.get
    with: { collection: carts, key: nope }
  - id: query
    uses: store.query
    with: { collection: carts, prefix: "a-", limit: 10 }
  - id: delete
    uses: store.delete
    with: { collection: carts, key: a-2 }
  - id: note
    uses: log
    with: { message: "total ${{ steps.get.output.value.total }}", level: warn }
)");
  const auto id = Start("records");
  const auto run = Finish(id);
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  auto steps = Steps(id);
  EXPECT_EQ(steps["put_a"].output["revision"], 1);
  EXPECT_EQ(steps["patch"].output["revision"], 2);
  const Json got = steps["get"].output;
  EXPECT_EQ(got["value"]["total"], 12.5);
  EXPECT_EQ(got["value"]["emails"], 1);
  EXPECT_EQ(got["value"]["status"], "abandoned");
  EXPECT_EQ(got["value"]["items"], Json::array({1, 2}));
  EXPECT_TRUE(steps["missing"].output.is_null());
  EXPECT_EQ(steps["query"].output["count"], 2);
  EXPECT_EQ(steps["query"].output["records"][1]["key"], "a-2");
  EXPECT_EQ(steps["delete"].output["deleted"], true);
  EXPECT_FALSE(Record("carts", "a-2").has_value());
  EXPECT_EQ(steps["note"].output["level"], "warn");
  std::lock_guard lock(log_mu_);
  ASSERT_FALSE(logs_.empty());
  EXPECT_EQ(logs_.back(), "warn: total 12.5");
}

TEST_P(BuiltinActionsTest, QueryPagesWithACursorInEitherOrder) {
  Load(R"(workflow: pages
on: [{event: go}]
steps:
  - id: puts
    foreach: [1, 2, 3, 4, 5]
    steps:
      - id: put
        uses: store.put
        with: { collection: seen, key: "u-1/${{ string.format('%03d', item) }}", value: { n: "${{ item }}" } }
  - id: other
    uses: store.put
    with: { collection: seen, key: u-2/001, value: { n: 9 } }
  - id: first
    uses: store.query
    with: { collection: seen, prefix: u-1/, limit: 2 }
  - id: second
    uses: store.query
    with: { collection: seen, prefix: u-1/, limit: 2, after: "${{ steps.first.output.next_cursor }}" }
  - id: last
    uses: store.query
    with: { collection: seen, prefix: u-1/, limit: 2, after: "${{ steps.second.output.next_cursor }}" }
  - id: newest
    uses: store.query
    with: { collection: seen, prefix: u-1/, limit: 2, order: desc }
  - id: older
    uses: store.query
    with: { collection: seen, prefix: u-1/, limit: 5, order: desc, after: "${{ steps.newest.output.next_cursor }}" }
  - id: exact
    uses: store.query
    with: { collection: seen, prefix: u-1/, limit: 5 }
)");
  const auto id = Start("pages");
  const auto run = Finish(id);
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  auto steps = Steps(id);
  auto keys = [&](const std::string& step) {
    std::vector<std::string> out;
    for (const auto& r : steps[step].output["records"]) out.push_back(r["key"]);
    return out;
  };
  using Keys = std::vector<std::string>;
  EXPECT_EQ(keys("first"), (Keys{"u-1/001", "u-1/002"}));
  EXPECT_EQ(steps["first"].output["next_cursor"], "u-1/002");
  EXPECT_EQ(keys("second"), (Keys{"u-1/003", "u-1/004"}));
  EXPECT_EQ(keys("last"), (Keys{"u-1/005"}));
  EXPECT_TRUE(steps["last"].output["next_cursor"].is_null()) << steps["last"].output.dump();
  EXPECT_EQ(keys("newest"), (Keys{"u-1/005", "u-1/004"}));
  EXPECT_EQ(steps["newest"].output["next_cursor"], "u-1/004");
  EXPECT_EQ(keys("older"), (Keys{"u-1/003", "u-1/002", "u-1/001"}));
  EXPECT_TRUE(steps["older"].output["next_cursor"].is_null());
  // Exactly `limit` records: complete, no cursor.
  EXPECT_EQ(steps["exact"].output["count"], 5);
  EXPECT_TRUE(steps["exact"].output["next_cursor"].is_null());
}

TEST_P(BuiltinActionsTest, QueryRefusesAnUnknownOrder) {
  Load(R"(workflow: badorder
on: [{event: go}]
steps:
  - id: q
    uses: store.query
    with: { collection: seen, order: "${{ 'new' .. 'est' }}" }
)");
  const auto run = Finish(Start("badorder"));
  EXPECT_NE(run.status, RunStatus::kCompleted);
  EXPECT_NE(run.error.dump().find("order"), std::string::npos) << run.error.dump();
}

TEST_P(BuiltinActionsTest, PatchWithExpectRevisionIsACompareAndSet) {
  // A claim loop: read the record, patch it only at the revision read; a mismatch
  // jumps back to read again.
  Load(R"(workflow: claim
on: [{event: go}]
steps:
  - id: create
    uses: store.patch
    with: { collection: caps, key: ada, set: { by: first }, expect_revision: 0 }
  - id: again
    uses: store.patch
    with: { collection: caps, key: ada, set: { by: again }, expect_revision: 0 }
    on_error: continue
  - id: read
    uses: store.get
    with: { collection: caps, key: ada }
  - id: claim
    uses: store.patch
    with:
      collection: caps
      key: ada
      set: { by: second }
      expect_revision: "${{ steps.read.output.revision }}"
)");
  const auto id = Start("claim");
  const auto run = Finish(id);
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  auto steps = Steps(id);
  EXPECT_EQ(steps["create"].output["revision"], 1);
  EXPECT_EQ(steps["again"].status, store::StepStatus::kFailed);
  EXPECT_EQ(steps["again"].error["code"], "revision_mismatch");
  EXPECT_EQ(steps["again"].error["message"], "record caps/ada is at revision 1, not 0");
  EXPECT_EQ(steps["claim"].output["revision"], 2);
  EXPECT_EQ((*Record("caps", "ada"))["by"], "second");
}

TEST_P(BuiltinActionsTest, BadInputIsAPermanentError) {
  Load(R"(workflow: bad-records
on: [{event: go}]
steps:
  - id: put
    uses: store.put
    with: { collection: carts }
    retry: { attempts: 3, delay: 1s }
)");
  const auto run = Finish(Start("bad-records"));
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["code"], "invalid_input");
  EXPECT_EQ(run.error["attempts"], 1);
}

TEST_P(BuiltinActionsTest, UnknownActionFailsTheRun) {
  Load(R"(workflow: unknown-action
on: [{event: go}]
steps:
  - id: x
    uses: nowhere.nothing
)");
  const auto run = Finish(Start("unknown-action"));
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["code"], "unknown_action");
}

TEST_P(BuiltinActionsTest, FencedPutNeverOverwritesANewerVersion) {
  Load(R"(workflow: fenced
on: [{event: go}]
steps:
  - id: put
    uses: store.put
    with:
      collection: products
      key: "${{ event.id }}"
      value: "${{ event }}"
      if_newer: "${{ event.updated_at }}"
)");
  // The id is beyond 2^53: it must come back exactly.
  const Json id = Json::parse("9007199254740993");
  auto put = [&](const std::string& updated_at, int n) {
    const auto run = Finish(Start("fenced", {{"id", id}, {"updated_at", updated_at}, {"n", n}}));
    EXPECT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
    return Steps(run.id)["put"].output;
  };
  EXPECT_EQ(put("2026-12-06T10:00:00-05:00", 1)["applied"], true);
  // 14:59:59Z is older than 10:00:00-05:00 (15:00:00Z), though it sorts later as text.
  const Json older = put("2026-12-06T14:59:59Z", 2);
  EXPECT_EQ(older["applied"], false);
  EXPECT_EQ(older["superseded"], true);
  const Json same = put("2026-12-06T15:00:00Z", 3);
  EXPECT_EQ(same["applied"], false);
  EXPECT_EQ(same["superseded"], false);  // the same version: a duplicate
  auto record = Record("products", "9007199254740993");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ((*record)["n"], 1);
  EXPECT_EQ((*record)["id"].dump(), "9007199254740993");
  EXPECT_EQ(put("2026-12-06T15:00:00.001Z", 4)["applied"], true);
  EXPECT_EQ((*Record("products", "9007199254740993"))["n"], 4);
}

TEST_P(BuiltinActionsTest, FencedPutRefusesAMissingOrBadVersion) {
  Load(R"(workflow: fenced-bad
on: [{event: go}]
steps:
  - id: put
    uses: store.put
    with: { collection: products, key: x, value: 1, if_newer: "${{ event.v }}" }
)");
  for (const Json& v : {Json(), Json("yesterday"), Json(1.5), Json("2026-12-06T10:00:00")}) {
    const auto run = Finish(Start("fenced-bad", {{"v", v}}));
    EXPECT_EQ(run.status, RunStatus::kFailed) << v.dump();
    EXPECT_EQ(run.error["code"], "invalid_input") << v.dump();
    EXPECT_NE(run.error["message"].get<std::string>().find("if_newer"), std::string::npos)
        << run.error.dump();
  }
  EXPECT_FALSE(Record("products", "x").has_value());
}

TEST_P(BuiltinActionsTest, FencedPutSaysWhetherItCreatedTheRecord) {
  Load(R"(workflow: fenced-created
on: [{event: go}]
steps:
  - id: put
    uses: store.put
    with: { collection: products, key: k, value: "${{ event }}", if_newer: "${{ event.v }}" }
)");
  auto put = [&](int v) {
    const auto run = Finish(Start("fenced-created", {{"v", v}}));
    EXPECT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
    return Steps(run.id)["put"].output;
  };
  const Json first = put(1);
  EXPECT_EQ(first["applied"], true);
  EXPECT_EQ(first["created"], true);
  const Json newer = put(2);
  EXPECT_EQ(newer["applied"], true);
  EXPECT_EQ(newer["created"], false);  // it was there, older: stale
  const Json same = put(2);
  EXPECT_EQ(same["applied"], false);
  EXPECT_EQ(same["created"], false);
}

TEST_P(BuiltinActionsTest, CountCountsByPrefixAndVersionWithoutTombstones) {
  Load(R"(workflow: counting
on: [{event: go}]
steps:
  - id: a
    uses: store.put
    with: { collection: orders, key: s/1, value: { id: 1 }, if_newer: "2026-12-01T00:00:00Z" }
  - id: b
    uses: store.put
    with: { collection: orders, key: s/2, value: { id: 2 }, if_newer: "2026-12-05T00:00:00Z" }
  - id: gone
    uses: store.put
    with: { collection: orders, key: s/3, value: { id: 3, deleted: true }, if_newer: "2026-12-05T12:00:00Z" }
  - id: recent
    uses: store.count
    with: { collection: orders, prefix: s/, version_min: "2026-12-04T00:00:00Z" }
  - id: all
    uses: store.count
    with: { collection: orders }
  - id: bad
    uses: store.count
    with: { collection: orders, version_min: "last week" }
    on_error: continue
)");
  const auto run = Finish(Start("counting"));
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["recent"].output,
            (Json{{"count", 2}, {"live", 1}, {"tombstones", 1}, {"max_version", 1796472000000}}));
  EXPECT_EQ(steps["all"].output["count"], 3);
  EXPECT_EQ(steps["all"].output["live"], 2);
  EXPECT_EQ(steps["bad"].error["code"], "invalid_input");
  EXPECT_NE(steps["bad"].error["message"].get<std::string>().find("version_min"), std::string::npos)
      << steps["bad"].error;
}

STOREFLOW_INSTANTIATE_STORE_TESTS(BuiltinActionsTest);

}  // namespace
}  // namespace storeflow::runtime::testing
