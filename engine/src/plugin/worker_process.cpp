#include "plugin/worker_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "plugin/plugin_worker.h"

extern char** environ;

namespace storeflow::plugin {
namespace {

constexpr int kWorkerFd = 3;

std::string HowItEnded(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "was killed by signal " + std::to_string(sig) +
           (name != nullptr ? " (" + std::string(name) + ")" : "");
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

void Sink(void* user, const char* data, std::size_t size) {
  static_cast<std::string*>(user)->assign(data, size);
}

}  // namespace

WorkerProcess::WorkerProcess(WorkerProcessOptions options, const HostServices& services)
    : options_(std::move(options)), services_(services) {}

WorkerProcess::~WorkerProcess() {
  Stop(0);
}

Result<std::unique_ptr<WorkerProcess>> WorkerProcess::Start(const WorkerProcessOptions& options,
                                                            const HostServices& services,
                                                            const std::string& config_json,
                                                            std::int64_t init_timeout_ms) {
  std::unique_ptr<WorkerProcess> worker(new WorkerProcess(options, services));
  STOREFLOW_RETURN_IF_ERROR(worker->Spawn());
  Status sent = [&] {
    std::lock_guard lock(worker->write_mu_);
    return WriteWorkerFrame(worker->fd_, {"init", config_json});
  }();
  Result<WorkerFrame> answer = sent.ok() ? worker->WaitAnswer(init_timeout_ms) : sent;
  if (!answer.ok()) {
    return Unavailable("the worker process of plugin '" + options.plugin + "' " +
                       worker->Reap(true) + " before its init answered");
  }
  const WorkerFrame& frame = *answer;
  if (frame[0] == "init_ok") return worker;
  std::string why = frame.size() > 1 ? frame[1] : "no reason given";
  worker->Stop(1'000);
  if (frame[0] == "load_failed") return FailedPrecondition(why);
  return FailedPrecondition("failed in init: " + why);
}

Status WorkerProcess::Spawn() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Unavailable(std::string("socketpair: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 onto fd 3 clears close-on-exec there: the worker's one inherited socket.
  posix_spawn_file_actions_adddup2(&actions, fds[1], kWorkerFd);
  std::string fd_text = std::to_string(kWorkerFd);
  std::string command = kPluginWorkerCommand;
  char* argv[] = {options_.executable.data(), command.data(), options_.plugin_yaml.data(),
                  fd_text.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, options_.executable.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Unavailable("cannot start the worker process " + options_.executable + ": " +
                       std::strerror(rc));
  }
  pid_ = pid;
  fd_ = fds[0];
  reader_ = std::thread([this] { ReadLoop(); });
  return Status::Ok();
}

void WorkerProcess::ReadLoop() {
  while (true) {
    auto frame = ReadWorkerFrame(fd_);
    if (!frame.ok() || frame->empty()) break;
    const std::string& op = (*frame)[0];
    if (op == "init_ok" || op == "init_failed" || op == "load_failed" || op == "reply_ok" ||
        op == "reply_error" || op == "no_reply" || op == "exception") {
      std::lock_guard lock(mu_);
      answer_ = std::move(*frame);
      cv_.notify_all();
      continue;
    }
    ServeHostCall(*frame);
  }
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void WorkerProcess::ServeHostCall(const WorkerFrame& f) {
  const storeflow_host_v1& t = *services_.table();
  void* ctx = t.context;
  const std::string& op = f[0];
  auto answer = [&](WorkerFrame parts) {
    parts.insert(parts.begin(), "host_result");
    std::lock_guard lock(write_mu_);
    (void)WriteWorkerFrame(fd_, parts);
  };
  auto labels = [&](std::size_t at) { return f[at] == "1" ? f[at + 1].c_str() : nullptr; };
  if (op == "log" && f.size() >= 7) {
    storeflow_call_v1 call{};
    call.struct_size = sizeof call;
    call.run_id = FrameInt(f[4]);
    call.workflow = f[5].c_str();
    call.step_path = f[6].c_str();
    call.idempotency_key = "";
    t.log(ctx, f[3] == "1" ? &call : nullptr, static_cast<std::int32_t>(FrameInt(f[1])),
          f[2].c_str());
  } else if (op == "secret" && f.size() >= 2) {
    const char* value = t.secret(ctx, f[1].c_str());
    answer(value != nullptr ? WorkerFrame{"1", value} : WorkerFrame{"0"});
  } else if (op == "kv_get" && f.size() >= 2) {
    std::string value;
    const std::int32_t found = t.kv_get(ctx, f[1].c_str(), Sink, &value);
    answer({FramePart(std::int64_t{found}), value});
  } else if (op == "kv_put" && f.size() >= 4) {
    answer({FramePart(
        std::int64_t{t.kv_put(ctx, f[1].c_str(), f[2].data(), f[2].size(), FrameInt(f[3]))})});
  } else if (op == "kv_delete" && f.size() >= 2) {
    answer({FramePart(std::int64_t{t.kv_delete(ctx, f[1].c_str())})});
  } else if (op == "counter_add" && f.size() >= 5) {
    t.counter_add(ctx, f[1].c_str(), labels(2), FrameDouble(f[4]));
  } else if (op == "histogram_observe" && f.size() >= 5) {
    t.histogram_observe(ctx, f[1].c_str(), labels(2), FrameDouble(f[4]));
  } else if (op == "gauge_set" && f.size() >= 5) {
    t.gauge_set(ctx, f[1].c_str(), labels(2), FrameDouble(f[4]));
  } else if (op == "now_ms") {
    answer({FramePart(t.now_ms(ctx))});
  } else if (op == "rate_acquire" && f.size() >= 6) {
    std::int64_t retry_after = 0;
    const std::int32_t got = t.rate_acquire(ctx, f[1].c_str(), FrameDouble(f[2]), FrameDouble(f[3]),
                                            FrameDouble(f[4]), FrameInt(f[5]), &retry_after);
    answer({FramePart(std::int64_t{got}), FramePart(retry_after)});
  } else if (op == "rate_adjust" && f.size() >= 6) {
    double level = 0;
    const std::int32_t got = t.rate_adjust(ctx, f[1].c_str(), FrameDouble(f[2]), FrameDouble(f[3]),
                                           FrameDouble(f[4]), FrameDouble(f[5]), &level);
    answer({FramePart(std::int64_t{got}), FramePart(level)});
  } else if (op == "render_template" && f.size() >= 3) {
    std::string out;
    const std::int32_t rendered = t.render_template(ctx, f[1].c_str(), f[2].c_str(), Sink, &out);
    answer({FramePart(std::int64_t{rendered}), out});
  } else if (op == "source_topics" && f.size() >= 2 && t.struct_size >= STOREFLOW_HOST_V1_2_SIZE) {
    std::string topics;
    const std::int32_t listed = t.source_topics(ctx, f[1].c_str(), Sink, &topics);
    answer({FramePart(std::int64_t{listed}), topics});
  } else if (op == "public_url" && t.struct_size >= STOREFLOW_HOST_V1_2_SIZE) {
    const char* url = t.public_url(ctx);
    answer(url != nullptr ? WorkerFrame{"1", url} : WorkerFrame{"0"});
  } else {
    answer({});  // unknown or malformed: the worker's proxy reports an error
  }
}

Result<WorkerFrame> WorkerProcess::WaitAnswer(std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  auto ready = [&] { return answer_.has_value() || closed_; };
  if (timeout_ms < 0) {
    cv_.wait(lock, ready);
  } else if (!cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready)) {
    return DeadlineExceeded("no answer within " + std::to_string(timeout_ms) + " ms");
  }
  if (!answer_) return Unavailable("the worker process closed its socket");
  WorkerFrame frame = std::move(*answer_);
  answer_.reset();
  return frame;
}

Status WorkerProcess::Invoke(const std::string& action, const std::string& input_json,
                             const storeflow_call_v1& call, std::int64_t timeout_ms,
                             storeflow_reply& reply) {
  const std::string who =
      "the worker process (pid " + std::to_string(pid_) + ") of plugin '" + options_.plugin + "'";
  Status sent = [&] {
    std::lock_guard lock(write_mu_);
    return WriteWorkerFrame(
        fd_, {"invoke", action, input_json, FramePart(call.run_id), call.workflow, call.step_path,
              call.idempotency_key, FramePart(std::int64_t{call.attempt}), FramePart(call.now_ms),
              FramePart(call.deadline_ms), FramePart(std::int64_t{call.previous_attempt})});
  }();
  auto answer = sent.ok() ? WaitAnswer(timeout_ms) : Result<WorkerFrame>(sent);
  if (!answer.ok()) {
    const bool timed_out = answer.status().code() == StatusCode::kDeadlineExceeded;
    std::string how = Reap(timed_out);
    if (timed_out) {
      return DeadlineExceeded(who + " did not answer within " + std::to_string(timeout_ms) +
                              " ms and was killed");
    }
    return Unavailable(who + " " + how + " during the call");
  }
  const WorkerFrame& f = *answer;
  if (f[0] == "reply_ok" && f.size() >= 2) {
    reply.replies = 1;
    reply.ok = true;
    reply.output = f[1];
  } else if (f[0] == "reply_error" && f.size() >= 5) {
    reply.replies = 1;
    reply.ok = false;
    reply.kind = static_cast<std::int32_t>(FrameInt(f[1], STOREFLOW_ERROR_PERMANENT));
    reply.code = f[2];
    reply.message = f[3];
    reply.retry_after_ms = FrameInt(f[4], -1);
  } else if (f[0] == "exception") {
    reply.replies = 1;
    reply.ok = false;
    reply.kind = STOREFLOW_ERROR_PERMANENT;
    reply.code = "plugin_exception";
    reply.message = "plugin '" + options_.plugin + "' action '" + action +
                    "' let an exception escape" +
                    (f.size() > 1 && !f[1].empty() ? ": " + f[1] : "");
  }  // no_reply: reply.replies stays 0
  return Status::Ok();
}

bool WorkerProcess::alive() const {
  std::lock_guard lock(mu_);
  return !closed_ && ended_.empty();
}

std::string WorkerProcess::Reap(bool kill_first) {
  {
    std::lock_guard lock(mu_);
    if (!ended_.empty()) return ended_;
  }
  int status = 0;
  std::string how = "ended";
  if (pid_ > 0) {
    // A worker whose socket closed is normally exiting: give it a moment so its
    // own end (a signal, an exit status) is what gets reported, then kill it.
    pid_t done = 0;
    if (!kill_first) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
             std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    if (done == 0 || kill_first) {
      ::kill(pid_, SIGKILL);
      while ((done = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
      }
    }
    how = done > 0 ? HowItEnded(status) : "ended";
  }
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable() && reader_.get_id() != std::this_thread::get_id()) reader_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  std::lock_guard lock(mu_);
  ended_ = how;
  pid_ = -1;
  return how;
}

void WorkerProcess::Stop(std::int64_t grace_ms) {
  {
    std::lock_guard lock(mu_);
    if (!ended_.empty() || pid_ < 0) return;
  }
  if (grace_ms > 0) {
    {
      std::lock_guard lock(write_mu_);
      (void)WriteWorkerFrame(fd_, {"shutdown"});
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(grace_ms), [&] { return closed_; });
    const bool exited = closed_;
    lock.unlock();
    Reap(!exited);
    return;
  }
  Reap(true);
}

}  // namespace storeflow::plugin
