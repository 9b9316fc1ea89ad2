// The email and storage plugins end to end through the real binary: `storeflow
// run WORKFLOW --input FILE --config CONFIG` with the built plugins, each run on
// a fresh database. Email goes over SMTP (STARTTLS required, AUTH with the
// password from a secret) to the recording SMTP peer (tools/peers/smtp-peer.mjs),
// read back through its HTTP API; files go to a local storage root and are read
// back from disk. Workflows: tests/fixtures/e2e/.
//
// The peer is shared with other test processes: every test uses its own
// recipients and never changes the peer's state. Without the SMTP_* environment
// (tools/test.sh exports it) the SMTP tests fail, unless STOREFLOW_TEST_PEERS=off.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "http_client.h"
#include "serve_process.h"

extern char** environ;

namespace storeflow::e2e {

using test_support::Http;
using test_support::HttpReply;
using test_support::ReadFile;
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Env = std::vector<std::pair<std::string, std::string>>;

constexpr char kFrom[] = "shop@e2e.example";
constexpr char kMessageIdDomain[] = "e2e.example";

std::string Fixture(const std::string& name) {
  return std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/e2e/" + name;
}

// A string as a YAML scalar (JSON's double-quoted strings are valid YAML).
std::string Yaml(const std::string& text) {
  return json(text).dump();
}

// ---- the storeflow child process ----------------------------------------

struct Finished {
  int code = -1;  // exit code; -1 when killed or timed out
  bool timed_out = false;
  std::string out;
  std::string err;
  json run;  // stdout parsed (discarded when it is not JSON)

  std::string Describe() const {
    return "exit " + std::to_string(code) + (timed_out ? " (timed out)" : "") + "\nstdout:\n" +
           out + "\nstderr:\n" + err;
  }
  // The printed step with `path`, or null.
  json Step(const std::string& path) const {
    if (!run.is_object() || !run.contains("steps")) return json();
    for (const json& step : run["steps"]) {
      if (step.value("path", "") == path) return step;
    }
    return json();
  }
};

// Runs `storeflow ARGS...` from the source folder with the environment plus
// `extra` (STOREFLOW_DB removed, so a run without --db gets a fresh database),
// waiting at most `timeout`.
Finished RunStoreflow(const std::vector<std::string>& args, const Env& extra, const fs::path& work,
                      const std::string& name,
                      std::chrono::seconds timeout = std::chrono::seconds(120)) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    bool replaced = key == "STOREFLOW_DB";
    for (const auto& [k, v] : extra) replaced = replaced || k == key;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : extra) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {STOREFLOW_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const fs::path out_file = work / (name + ".out");
  const fs::path err_file = work / (name + ".err");

  Finished result;
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) _exit(97);
    dup2(out, 1);
    dup2(err, 2);
    if (chdir(STOREFLOW_SOURCE_DIR) != 0) _exit(99);
    execve(STOREFLOW_BINARY, argv.data(), envp.data());
    _exit(98);
  }
  if (pid < 0) {
    result.err = "fork failed";
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool exited = false;
  while (!exited && std::chrono::steady_clock::now() < deadline) {
    exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    result.timed_out = true;
  }
  result.code = !result.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_file);
  result.err = ReadFile(err_file);
  result.run = json::parse(result.out, nullptr, false);
  return result;
}

// ---- the SMTP peer ------------------------------------------------------

struct Peer {
  std::string host;
  std::string port;
  std::uint16_t http_port = 0;
  std::string user;  // empty: the peer runs without AUTH
  std::string pass;
};

std::string EnvOr(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::optional<Peer> SharedPeer() {
  Peer peer;
  peer.host = EnvOr("SMTP_HOST");
  peer.port = EnvOr("SMTP_PORT");
  const std::string http_url = EnvOr("SMTP_HTTP_URL");
  if (peer.host.empty() || peer.port.empty() || http_url.empty()) return std::nullopt;
  peer.http_port = Poco::URI(http_url).getPort();
  peer.user = EnvOr("SMTP_USER");
  peer.pass = EnvOr("SMTP_PASS");
  return peer;
}

// The messages the peer recorded for `address`, once there are at least
// `expected` (waiting at most 10 s: the peer stores a message before it answers
// the data, so they are normally there at once).
json MessagesTo(const Peer& peer, const std::string& address, std::size_t expected) {
  std::string query;
  Poco::URI::encode(address, "&=+?#@", query);
  json messages = json::array();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    HttpReply r = Http(peer.http_port, "GET", "/messages?to=" + query);
    if (r.status == 200) messages = r.json();
    if (messages.is_array() && messages.size() >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return messages;
}

// The header `name` of a raw RFC 5322 message (unfolded; "" when absent).
std::string Header(const std::string& raw, const std::string& name) {
  const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= head.size()) {
    const std::size_t end = std::min(head.find("\r\n", start), head.size());
    std::string line = head.substr(start, end - start);
    if (!lines.empty() && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      lines.back() += line;
    } else {
      lines.push_back(line);
    }
    start = end + 2;
  }
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  for (const std::string& line : lines) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || lower(line.substr(0, colon)) != lower(name)) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    return value;
  }
  return "";
}

std::string Body(const std::string& raw) {
  const std::size_t blank = raw.find("\r\n\r\n");
  return blank == std::string::npos ? "" : raw.substr(blank + 4);
}

// A unique lower-case token for recipients (test name, pid, counter, random).
std::string UniqueTag() {
  static std::atomic<int> counter{0};
  std::string tag;
  for (char c :
       std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()).substr(0, 20)) {
    tag += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
               : '-';
  }
  return tag + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(std::random_device()() % 100000);
}

// ---- fixtures -------------------------------------------------------------

class PluginsRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("storeflow-e2e-plugins-" + std::to_string(getpid()) + "-" +
                                         std::to_string(std::random_device()()));
    fs::create_directories(work_);
  }

  void TearDown() override {
    std::error_code ignored;
    if (!HasFailure()) fs::remove_all(work_, ignored);
  }

  fs::path WriteJson(const std::string& name, const json& value) {
    const fs::path path = work_ / name;
    std::ofstream(path) << value.dump(2);
    return path;
  }

  // `storeflow run WORKFLOW --input INPUT --config CONFIG [more...]`.
  Finished Run(const std::string& workflow, const json& input, const fs::path& config,
               const Env& env = {}, const std::vector<std::string>& more = {}) {
    const std::string name = "run-" + std::to_string(++runs_);
    std::vector<std::string> args = {"run",      Fixture(workflow),
                                     "--input",  WriteJson(name + ".input.json", input).string(),
                                     "--config", config.string()};
    args.insert(args.end(), more.begin(), more.end());
    return RunStoreflow(args, env, work_, name);
  }

  fs::path work_;
  int runs_ = 0;
};

class PluginsRunSmtpTest : public PluginsRunTest {
 protected:
  void SetUp() override {
    auto peer = SharedPeer();
    if (!peer) {
      if (EnvOr("STOREFLOW_TEST_PEERS") == "off") GTEST_SKIP() << "STOREFLOW_TEST_PEERS=off";
      FAIL() << "the SMTP test peer is not configured (SMTP_HOST, SMTP_PORT, SMTP_HTTP_URL "
                "unset): run the tests through tools/test.sh, or start one with "
                "`tools/peers/peers.sh start smtp --dir DIR` and `set -a; . DIR/smtp.env`, or "
                "set STOREFLOW_TEST_PEERS=off to skip";
    }
    peer_ = *peer;
    PluginsRunTest::SetUp();
    tag_ = UniqueTag();
  }

  // The engine config: the email plugin on the peer over STARTTLS (its
  // certificate is self-signed, so not verified, as in the email plugin's own
  // tests), AUTH with the password of the secret SMTP_PASSWORD, which comes from
  // the environment or, with `secrets_file`, from a chmod-600 secrets file.
  fs::path SmtpConfig(bool secrets_file) {
    const fs::path path = work_ / (secrets_file ? "storeflow-file.yaml" : "storeflow.yaml");
    std::ofstream config(path);
    config << "plugins:\n"
              "  config:\n"
              "    email:\n"
              "      transport: smtp\n"
              "      from: "
           << Yaml(std::string("E2E Shop <") + kFrom + ">")
           << "\n"
              "      templates_dir: "
           << Yaml(Fixture("email-templates")) << "\n      message_id_domain: " << kMessageIdDomain
           << "\n      smtp:\n        host: " << Yaml(peer_.host)
           << "\n        port: " << peer_.port
           << "\n        starttls: required\n"
              "        insecure_skip_verify: true\n"
              "        connect_timeout_ms: 5000\n"
              "        command_timeout_ms: 10000\n";
    if (!peer_.user.empty()) {
      config << "        username: " << Yaml(peer_.user)
             << "\n        password_secret: SMTP_PASSWORD\n";
    }
    config << "    storage:\n      root: " << Yaml((work_ / "storage").string()) << "\n";
    if (secrets_file) {
      const fs::path secrets = work_ / "secrets.yaml";
      std::ofstream(secrets) << "SMTP_PASSWORD: " << Yaml(peer_.pass) << "\n";
      fs::permissions(secrets, fs::perms::owner_read | fs::perms::owner_write);
      config << "secrets:\n  file: " << Yaml(secrets.string()) << "\n";
    }
    return path;
  }

  Env PasswordEnv() const { return {{"STOREFLOW_SECRET_SMTP_PASSWORD", peer_.pass}}; }

  std::string Addr(const std::string& who) const { return who + "-" + tag_ + "@example.test"; }

  json Input(const std::string& to) const {
    return {
        {"to", to}, {"name", "Ada"}, {"order", "A-" + tag_}, {"total", "19.98 USD"}, {"tag", tag_}};
  }

  Peer peer_;
  std::string tag_;
};

// "<32 hex>/<run id>/receipt": the idempotency key of the workflow's email step.
const std::regex kReceiptKey("^([0-9a-f]{32})/([0-9]+)/receipt$");
const std::regex kMessageId("^<sf\\.[0-9a-f]{32}@e2e\\.example>$");

// ---- email ----------------------------------------------------------------

TEST_F(PluginsRunSmtpTest, SendsATemplatedEmailOverStartTlsWithAuth) {
  const std::string to = Addr("ada");
  Finished run =
      Run("email-smtp.yaml", Input("Ada Lovelace <" + to + ">"), SmtpConfig(false), PasswordEnv());
  ASSERT_EQ(run.code, 0) << run.Describe();
  ASSERT_TRUE(run.run.is_object()) << run.Describe();
  EXPECT_EQ(run.run["status"], "completed") << run.Describe();
  EXPECT_EQ(run.run["id"], 1) << "a fresh database";
  const json step = run.Step("receipt");
  ASSERT_TRUE(step.is_object()) << run.Describe();
  EXPECT_EQ(step["status"], "completed");
  EXPECT_EQ(step["attempts"], 1);
  const json& output = step["output"];
  EXPECT_EQ(output["transport"], "smtp");
  EXPECT_EQ(output["accepted"], json::array({to}));
  EXPECT_TRUE(output.value("smtp_reply", "").starts_with("250")) << output.dump();
  const std::string message_id = output.value("message_id", "");
  EXPECT_TRUE(std::regex_match(message_id, kMessageId)) << message_id;

  json messages = MessagesTo(peer_, to, 1);
  ASSERT_EQ(messages.size(), 1u) << messages.dump() << run.Describe();
  const json& got = messages[0];
  EXPECT_EQ(got["envelope"]["from"], kFrom);
  EXPECT_EQ(got["envelope"]["to"], json::array({to}));
  EXPECT_EQ(got["secure"], true) << "STARTTLS is required";
  if (!peer_.user.empty()) {
    EXPECT_EQ(got["authUser"], peer_.user) << "AUTH with the password from the secret";
  }

  const std::string raw = got["raw"].get<std::string>();
  EXPECT_NE(Header(raw, "From").find(kFrom), std::string::npos) << raw;
  EXPECT_NE(Header(raw, "To").find("Ada Lovelace"), std::string::npos) << raw;
  EXPECT_NE(Header(raw, "To").find("<" + to + ">"), std::string::npos) << raw;
  EXPECT_EQ(Header(raw, "Subject"), "Receipt A-" + tag_ + " for Ada") << raw;
  EXPECT_EQ(Header(raw, "X-E2e-Tag"), tag_) << raw;
  EXPECT_EQ(Header(raw, "Message-ID"), message_id) << raw;
  EXPECT_TRUE(Header(raw, "Content-Type").starts_with("text/plain")) << raw;
  // The template, rendered with the workflow's data.
  EXPECT_NE(Body(raw).find("Hello Ada,\r\n\r\nyour order A-" + tag_ +
                           " came to 19.98 USD.\r\n\r\nThe e2e shop"),
            std::string::npos)
      << raw;
  // The step's idempotency key: this database's installation id, run 1, the step.
  std::smatch key;
  const std::string key_header = Header(raw, "X-Storeflow-Idempotency-Key");
  ASSERT_TRUE(std::regex_match(key_header, key, kReceiptKey)) << key_header;
  EXPECT_EQ(key[2].str(), "1");

  if (!peer_.pass.empty()) {
    EXPECT_EQ(run.out.find(peer_.pass), std::string::npos) << "password in the run's JSON";
    EXPECT_EQ(run.err.find(peer_.pass), std::string::npos) << "password in the log";
  }
}

TEST_F(PluginsRunSmtpTest, TwoDatabasesNeverShareAMessageIdAndOneKeepsItsInstallation) {
  // The same workflow and input, run 1 of two fresh databases: different keys
  // and Message-IDs. Then two runs (two engine processes) on one database file:
  // the same installation id, runs 1 and 2. The password comes from a secrets file.
  const std::string to = Addr("twice");
  const fs::path config = SmtpConfig(true);
  const std::string db = "sqlite:" + (work_ / "kept.db").string();
  std::vector<Finished> runs;
  runs.push_back(Run("email-smtp.yaml", Input(to), config));
  runs.push_back(Run("email-smtp.yaml", Input(to), config));
  runs.push_back(Run("email-smtp.yaml", Input(to), config, {}, {"--db", db}));
  runs.push_back(Run("email-smtp.yaml", Input(to), config, {}, {"--db", db}));
  for (const Finished& run : runs) ASSERT_EQ(run.code, 0) << run.Describe();

  json messages = MessagesTo(peer_, to, 4);
  ASSERT_EQ(messages.size(), 4u) << messages.dump();
  std::vector<std::string> installations;
  std::vector<std::string> run_ids;
  std::vector<std::string> message_ids;
  for (const Finished& run : runs) {
    const std::string message_id = run.Step("receipt")["output"].value("message_id", "");
    const json* found = nullptr;
    for (const json& m : messages) {
      if (Header(m["raw"].get<std::string>(), "Message-ID") == message_id) found = &m;
    }
    ASSERT_NE(found, nullptr) << message_id << " not received: " << messages.dump();
    std::smatch key;
    const std::string key_header =
        Header((*found)["raw"].get<std::string>(), "X-Storeflow-Idempotency-Key");
    ASSERT_TRUE(std::regex_match(key_header, key, kReceiptKey)) << key_header;
    installations.push_back(key[1]);
    run_ids.push_back(key[2]);
    message_ids.push_back(message_id);
  }
  EXPECT_EQ(run_ids, (std::vector<std::string>{"1", "1", "1", "2"}));
  EXPECT_NE(installations[0], installations[1]) << "two fresh databases";
  EXPECT_NE(message_ids[0], message_ids[1]) << "run 1 of two databases";
  EXPECT_EQ(installations[2], installations[3]) << "one database, two engine processes";
  EXPECT_NE(installations[2], installations[0]);
  EXPECT_NE(installations[2], installations[1]);
  EXPECT_EQ(std::set<std::string>(message_ids.begin(), message_ids.end()).size(), 4u)
      << "four distinct messages";
}

TEST_F(PluginsRunSmtpTest, ARejectedRecipientFailsTheRunWithThe550Reply) {
  const std::string to = Addr("reject");
  Finished run = Run("email-smtp.yaml", Input(to), SmtpConfig(false), PasswordEnv());
  EXPECT_EQ(run.code, 1) << run.Describe();
  ASSERT_TRUE(run.run.is_object()) << run.Describe();
  EXPECT_EQ(run.run["status"], "failed") << run.Describe();
  const json step = run.Step("receipt");
  ASSERT_TRUE(step.is_object()) << run.Describe();
  EXPECT_EQ(step["status"], "failed");
  EXPECT_EQ(step["attempts"], 1) << "a 5xx reply is permanent: not retried";
  const std::string error = step["error"].dump();
  EXPECT_NE(error.find("smtp_550"), std::string::npos) << error;
  EXPECT_NE(error.find("550 5.1.1"), std::string::npos) << "the server's reply: " << error;
  EXPECT_NE(error.find(to), std::string::npos) << "names the refused recipient: " << error;
  EXPECT_NE(run.run["error"].dump().find("550"), std::string::npos) << run.run["error"].dump();
  EXPECT_EQ(MessagesTo(peer_, to, 0).size(), 0u);
}

TEST_F(PluginsRunSmtpTest, ATemporaryFailureIsRetriedPerTheStepsPolicy) {
  const std::string to = Addr("tempfail");
  const auto started = std::chrono::steady_clock::now();
  Finished run = Run("email-smtp.yaml", Input(to), SmtpConfig(false), PasswordEnv());
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(run.code, 1) << run.Describe();
  ASSERT_TRUE(run.run.is_object()) << run.Describe();
  EXPECT_EQ(run.run["status"], "failed") << run.Describe();
  const json step = run.Step("receipt");
  ASSERT_TRUE(step.is_object()) << run.Describe();
  EXPECT_EQ(step["status"], "failed");
  // retry: { attempts: 3, backoff: constant, delay: 200ms } — every attempt got 451.
  EXPECT_EQ(step["attempts"], 3) << run.Describe();
  const std::string error = step["error"].dump();
  EXPECT_NE(error.find("smtp_451"), std::string::npos) << error;
  EXPECT_NE(error.find("451 4.3.0"), std::string::npos) << error;
  EXPECT_GE(took, std::chrono::milliseconds(400)) << "two waits of 200 ms between attempts";
  EXPECT_EQ(MessagesTo(peer_, to, 0).size(), 0u);
}

// ---- storage --------------------------------------------------------------

class PluginsRunStorageTest : public PluginsRunTest {
 protected:
  // The engine config: storage under work/storage; email to an outbox in work/
  // (it loads too, and must not write into the source tree).
  fs::path StorageConfig() {
    const fs::path path = work_ / "storeflow.yaml";
    std::ofstream(path) << "plugins:\n  config:\n    storage:\n      root: "
                        << Yaml((work_ / "storage").string())
                        << "\n    email:\n      transport: outbox\n      outbox: { folder: "
                        << Yaml((work_ / "outbox").string()) << " }\n";
    return path;
  }
};

TEST_F(PluginsRunStorageTest, WritesReadsAndListsAFile) {
  const std::string text = "Report for Ada: 19.98 USD\nsecond line ✓\n";
  Finished run = Run("storage-local.yaml",
                     {{"key", "reports/2026/ada.txt"}, {"text", text}, {"prefix", "reports/"}},
                     StorageConfig());
  ASSERT_EQ(run.code, 0) << run.Describe();
  EXPECT_EQ(run.run["status"], "completed") << run.Describe();

  // On disk, under the configured root, and nothing else in its folder.
  const fs::path file = work_ / "storage" / "reports" / "2026" / "ada.txt";
  ASSERT_TRUE(fs::is_regular_file(file)) << run.Describe();
  EXPECT_EQ(ReadFile(file), text);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(file.parent_path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"ada.txt"}) << "no temporary file left";

  const json put = run.Step("put")["output"];
  EXPECT_EQ(put["key"], "reports/2026/ada.txt") << put.dump();
  EXPECT_EQ(put["size"], text.size());
  EXPECT_EQ(put["content_type"], "text/plain; charset=utf-8");
  EXPECT_EQ(put.value("sha256", "").size(), 64u) << put.dump();

  const json get = run.Step("get")["output"];
  EXPECT_EQ(get["text"], text) << get.dump();
  EXPECT_EQ(get["encoding"], "text");
  EXPECT_EQ(get["size"], text.size());
  EXPECT_EQ(get["sha256"], put["sha256"]);
  EXPECT_EQ(get["content_type"], "text/plain; charset=utf-8");

  const json list = run.Step("list")["output"];
  EXPECT_EQ(list["prefix"], "reports/") << list.dump();
  EXPECT_EQ(list["keys"],
            json::array({json{{"key", "reports/2026/ada.txt"}, {"size", text.size()}}}))
      << list.dump();
  EXPECT_EQ(list["truncated"], false);
}

TEST_F(PluginsRunStorageTest, AKeyOutsideTheRootIsRefused) {
  Finished run = Run("storage-local.yaml",
                     {{"key", "../escape"}, {"text", "should not be written"}, {"prefix", ""}},
                     StorageConfig());
  EXPECT_EQ(run.code, 1) << run.Describe();
  ASSERT_TRUE(run.run.is_object()) << run.Describe();
  EXPECT_EQ(run.run["status"], "failed");
  const json put = run.Step("put");
  ASSERT_TRUE(put.is_object()) << run.Describe();
  EXPECT_EQ(put["status"], "failed");
  EXPECT_EQ(put["attempts"], 1) << "a refused key is permanent";
  const std::string error = put["error"].dump();
  EXPECT_NE(error.find("invalid_key"), std::string::npos) << error;
  EXPECT_NE(error.find("../escape"), std::string::npos) << "quotes the key: " << error;
  EXPECT_TRUE(run.Step("get").is_null()) << "the run stopped at put";
  EXPECT_FALSE(fs::exists(work_ / "escape"));
  EXPECT_FALSE(fs::exists(work_ / "storage" / ".." / "escape"));
}

}  // namespace
}  // namespace storeflow::e2e
