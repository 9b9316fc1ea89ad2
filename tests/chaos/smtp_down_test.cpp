// Chaos: the SMTP peer is down (connections refused) for a minute of virtual
// time; the send step retries with its backoff and the email arrives once.
//
// `storeflow serve --clock virtual` jumps the clock to the next due time whenever
// nothing is runnable, so the minute passes in milliseconds, and the peer must
// come back at a virtual instant, not after real seconds. The workflow does it
// itself: its first step emits an event whose workflow sleeps 60 s (virtual) and
// then calls the peer's `POST /control/up` with http.request. The send step
// retries every 7 s (virtual): attempts at 0, 7, ..., 56 s are refused, the peer
// is up at 60 s, and the attempt at 63 s is delivered, the tenth. The peer is a
// private one (tools/peers/peers.sh start smtp), since the shared peer must stay
// up for the other tests; it needs Node, so the test is skipped when the shared
// peer (SMTP_HOST) is not configured either, i.e. outside tools/test.sh.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include <Poco/URI.h>

#include "chaos_fixture.h"
#include "chaos_watchdog.h"
#include "http_client.h"
#include "sent_mail.h"
#include "serve_process.h"

namespace storeflow::chaos {
namespace {

using test_support::ServeProcess;
namespace peer_api = plugins::email::testing;

constexpr char kAdminToken[] = "chaos-admin-token-of-at-least-32-bytes";

std::string MailWorkflow(const std::string& recipient) {
  return R"(workflow: chaos-mail
on:
  - http: POST /chaos/mail
steps:
  - id: accepted
    respond: { status: 202, body: { run: "${{ run.id }}" } }
  - id: restore
    emit: { event: chaos/smtp-restore, data: { run: "${{ run.id }}" } }
  - id: send
    uses: email.send
    with:
      to: )" +
         Yaml(recipient) +
         R"(
      subject: "Chaos run ${{ run.id }}"
      text: "Sent once, after the peer came back."
    retry: { attempts: 15, backoff: constant, delay: 7s }
)";
}

std::string RestoreWorkflow(std::uint16_t peer_http_port) {
  return R"(workflow: chaos-smtp-restore
on:
  - event: chaos/smtp-restore
steps:
  - id: minute
    sleep: 60s
  - id: up
    uses: http.request
    with: { method: POST, url: "http://127.0.0.1:)" +
         std::to_string(peer_http_port) + R"(/control/up" }
)";
}

class SmtpDownTest : public ChaosTest {};

TEST_F(SmtpDownTest, APeerDownForAVirtualMinuteGetsTheEmailOnce) {
  if (!peer_api::SharedPeer()) {
    GTEST_SKIP() << "no SMTP peer configured (SMTP_HOST unset); tools/test.sh starts one, and "
                    "this test then starts a private one with tools/peers/peers.sh";
  }
  Watchdog watchdog("SmtpDownTest", std::chrono::seconds(90));
  std::unique_ptr<peer_api::OwnPeer> own;
  try {
    own = std::make_unique<peer_api::OwnPeer>();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  const peer_api::PeerEndpoint& peer = own->endpoint();
  const std::uint16_t peer_http_port = Poco::URI(peer.http_url).getPort();
  const std::string recipient = "chaos-down-" + tag_ + "@example.test";

  const fs::path workflows = WriteWorkflows(
      {{"mail.yaml", MailWorkflow(recipient)}, {"restore.yaml", RestoreWorkflow(peer_http_port)}});
  const fs::path config = WriteConfig(peer);
  // The control call goes to the peer on loopback, which http.request refuses
  // unless it is on the egress allow list.
  std::ofstream(config, std::ios::app)
      << "admin:\n  token: " << kAdminToken << "\nhttp_client:\n  allow_hosts: [127.0.0.1]\n";
  ServeProcess serve;
  ASSERT_TRUE(serve.Start({"--db", "sqlite:" + (work_ / "store.db").string(), "--workflows",
                           workflows.string(), "--config", config.string(), "--listen",
                           "127.0.0.1:0", "--workers", "1", "--clock", "virtual"},
                          work_ / "serve.log", std::chrono::seconds(30)))
      << serve.log();
  const pid_t pid = serve.pid();
  watchdog.OnTimeout([pid] { kill(pid, SIGKILL); });

  peer_api::PeerPost(peer, "/control/down?seconds=0&mode=refuse");
  ASSERT_NE(peer_api::PeerGet(peer, "/healthz")["down"], false) << "the peer did not go down";

  test_support::HttpReply started = test_support::Http(serve.port(), "POST", "/chaos/mail", "{}");
  ASSERT_EQ(started.status, 202) << started.body << "\n" << serve.log();
  const nlohmann::json answered = started.json();
  ASSERT_TRUE(answered.is_object() && answered.contains("run")) << started.body;
  const std::string run_id =
      answered["run"].is_string() ? answered["run"].get<std::string>() : answered["run"].dump();

  // The run ends within seconds of real time (bounded here at 45 s).
  const std::map<std::string, std::string> auth = {
      {"Authorization", std::string("Bearer ") + kAdminToken}};
  nlohmann::json run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
  while (std::chrono::steady_clock::now() < deadline && !watchdog.expired()) {
    test_support::HttpReply shown =
        test_support::Http(serve.port(), "GET", "/api/v1/runs/" + run_id, "", auth);
    if (shown.status == 200) run = shown.json();
    const std::string status = run.is_object() ? run.value("status", "") : "";
    if (status == "completed" || status == "failed" || status == "cancelled") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(run.is_object()) << serve.log();
  ASSERT_EQ(run.value("status", ""), "completed") << run.dump(2) << "\n" << serve.log();

  nlohmann::json send;
  for (const auto& step : run["steps"]) {
    if (step.value("path", "") == "send") send = step;
  }
  ASSERT_TRUE(send.is_object()) << run.dump(2);
  EXPECT_EQ(send["status"], "completed");
  // Refused at 0, 7, ..., 56 s; delivered at 63 s.
  EXPECT_EQ(send["attempts"], 10) << send.dump(2);
  const std::int64_t virtual_ms =
      run["finished_at"].get<std::int64_t>() - run["created_at"].get<std::int64_t>();
  EXPECT_GE(virtual_ms, 60'000) << "the peer was down for a minute of virtual time";
  std::cout << "[chaos] delivered after " << send["attempts"] << " attempts and " << virtual_ms
            << " ms of virtual time\n";

  // Exactly once at the peer, and the one the step reported. A second copy would
  // come at once (nothing is left to retry): a short wait lets one show.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::vector<SentMail> mails = MailsAtPeer(peer, recipient);
  ASSERT_EQ(mails.size(), 1u) << "emails received: " << mails.size();
  EXPECT_EQ(mails[0].message_id, send["output"].value("message_id", "")) << send.dump(2);
  EXPECT_EQ(std::to_string(mails[0].run_id), run_id);

  EXPECT_EQ(serve.Stop(SIGTERM), 0) << serve.log();
  EXPECT_FALSE(watchdog.expired());
}

}  // namespace
}  // namespace storeflow::chaos
