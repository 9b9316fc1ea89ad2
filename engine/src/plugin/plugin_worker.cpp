#include "plugin/plugin_worker.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "plugin/host_services.h"
#include "plugin/plugin_descriptor.h"
#include "plugin/plugin_library.h"
#include "plugin/worker_frame.h"

namespace storeflow::plugin {
namespace {

// The worker's end of the socket. A reader thread takes every frame the engine
// sends: answers to host calls go to the one caller waiting for them (host calls
// are made one at a time), commands (init, invoke, shutdown) to the main loop.
class WorkerChannel {
 public:
  explicit WorkerChannel(int fd) : fd_(fd) {
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~WorkerChannel() {
    {
      std::lock_guard lock(mu_);
      finishing_ = true;
      cv_.notify_all();
    }
    ::shutdown(fd_, SHUT_RDWR);
    if (reader_.joinable()) reader_.join();
  }

  void Send(const WorkerFrame& frame) {
    std::lock_guard lock(write_mu_);
    (void)WriteWorkerFrame(fd_, frame);  // a gone engine shows up as the end of stream
  }

  // The next command from the engine; nullopt once the engine closed the socket.
  std::optional<WorkerFrame> NextCommand() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !commands_.empty() || closed_; });
    if (commands_.empty()) return std::nullopt;
    WorkerFrame frame = std::move(commands_.front());
    commands_.pop_front();
    return frame;
  }

  // Sends a host call and waits for its answer (the parts after "host_result");
  // nullopt when the engine is gone.
  std::optional<WorkerFrame> Call(const WorkerFrame& request) {
    std::lock_guard call_lock(call_mu_);
    Send(request);
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return result_.has_value() || closed_; });
    if (!result_) return std::nullopt;
    WorkerFrame answer = std::move(*result_);
    result_.reset();
    answer.erase(answer.begin());
    return answer;
  }

  // Strings handed to the plugin by `secret` and `public_url` stay valid until the
  // worker ends.
  const char* Keep(const std::string& name, std::string value) {
    std::lock_guard lock(mu_);
    auto& slot = secrets_[name];
    if (!slot || *slot != value) slot = std::make_unique<std::string>(std::move(value));
    return slot->c_str();
  }

 private:
  void ReadLoop() {
    while (true) {
      auto frame = ReadWorkerFrame(fd_);
      std::unique_lock lock(mu_);
      if (!frame.ok() || frame->empty()) {
        closed_ = true;
        cv_.notify_all();
        // The engine is gone (or ended the protocol). A plugin stuck in a call
        // would keep this process alive for nothing: give the main loop a few
        // seconds to finish, then end the process.
        if (!cv_.wait_for(lock, std::chrono::seconds(5), [&] { return finishing_; })) {
          std::_Exit(3);
        }
        return;
      }
      if ((*frame)[0] == "host_result") {
        result_ = std::move(*frame);
      } else {
        commands_.push_back(std::move(*frame));
      }
      cv_.notify_all();
    }
  }

  int fd_;
  std::mutex write_mu_;
  std::mutex call_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WorkerFrame> commands_;
  std::optional<WorkerFrame> result_;
  bool closed_ = false;
  bool finishing_ = false;
  std::map<std::string, std::unique_ptr<std::string>> secrets_;
  std::thread reader_;
};

WorkerChannel& Channel(void* context) {
  return *static_cast<WorkerChannel*>(context);
}

std::string Text(const char* s) {
  return s != nullptr ? s : "";
}

// --- replies (filled in this process, then sent to the engine) ---

void ReplyOk(storeflow_reply* reply, const char* output_json) {
  if (reply == nullptr) return;
  if (++reply->replies > 1) return;
  reply->ok = true;
  reply->output = Text(output_json);
}

void ReplyError(storeflow_reply* reply, std::int32_t kind, const char* code, const char* message,
                std::int64_t retry_after_ms) {
  if (reply == nullptr) return;
  if (++reply->replies > 1) return;
  reply->ok = false;
  reply->kind = kind == STOREFLOW_ERROR_RETRYABLE ? kind : STOREFLOW_ERROR_PERMANENT;
  reply->code = Text(code);
  reply->message = Text(message);
  reply->retry_after_ms = retry_after_ms;
}

// --- host services, forwarded to the engine ---

void Log(void* context, const storeflow_call_v1* call, std::int32_t level, const char* message) {
  Channel(context).Send({"log", FramePart(std::int64_t{level}), Text(message),
                         call != nullptr ? "1" : "0", FramePart(call != nullptr ? call->run_id : 0),
                         call != nullptr ? Text(call->workflow) : "",
                         call != nullptr ? Text(call->step_path) : ""});
}

const char* Secret(void* context, const char* name) {
  auto answer = Channel(context).Call({"secret", Text(name)});
  if (!answer || answer->size() < 2 || (*answer)[0] != "1") return nullptr;
  return Channel(context).Keep(Text(name), (*answer)[1]);
}

std::int32_t KvGet(void* context, const char* key, storeflow_bytes_fn sink, void* user) {
  auto answer = Channel(context).Call({"kv_get", Text(key)});
  if (!answer || answer->empty()) return -1;
  const auto found = static_cast<std::int32_t>(FrameInt((*answer)[0], -1));
  if (found == 1 && answer->size() > 1 && sink != nullptr) {
    sink(user, (*answer)[1].data(), (*answer)[1].size());
  }
  return found;
}

std::int32_t KvPut(void* context, const char* key, const char* value, size_t size,
                   std::int64_t ttl_ms) {
  auto answer = Channel(context).Call(
      {"kv_put", Text(key), value != nullptr ? std::string(value, size) : "", FramePart(ttl_ms)});
  return answer && !answer->empty() ? static_cast<std::int32_t>(FrameInt((*answer)[0], -1)) : -1;
}

std::int32_t KvDelete(void* context, const char* key) {
  auto answer = Channel(context).Call({"kv_delete", Text(key)});
  return answer && !answer->empty() ? static_cast<std::int32_t>(FrameInt((*answer)[0], -1)) : -1;
}

void Metric(void* context, const char* kind, const char* name, const char* labels, double value) {
  Channel(context).Send(
      {kind, Text(name), labels != nullptr ? "1" : "0", Text(labels), FramePart(value)});
}
void CounterAdd(void* context, const char* name, const char* labels, double value) {
  Metric(context, "counter_add", name, labels, value);
}
void HistogramObserve(void* context, const char* name, const char* labels, double value) {
  Metric(context, "histogram_observe", name, labels, value);
}
void GaugeSet(void* context, const char* name, const char* labels, double value) {
  Metric(context, "gauge_set", name, labels, value);
}

std::int64_t NowMs(void* context) {
  auto answer = Channel(context).Call({"now_ms"});
  return answer && !answer->empty() ? FrameInt((*answer)[0]) : 0;
}

std::int32_t RateAcquire(void* context, const char* bucket, double capacity,
                         double refill_per_second, double cost, std::int64_t max_wait_ms,
                         std::int64_t* retry_after_ms) {
  auto answer = Channel(context).Call({"rate_acquire", Text(bucket), FramePart(capacity),
                                       FramePart(refill_per_second), FramePart(cost),
                                       FramePart(max_wait_ms)});
  if (!answer || answer->size() < 2) return -1;
  if (retry_after_ms != nullptr) *retry_after_ms = FrameInt((*answer)[1]);
  return static_cast<std::int32_t>(FrameInt((*answer)[0], -1));
}

std::int32_t RenderTemplate(void* context, const char* template_text, const char* data_json,
                            storeflow_bytes_fn sink, void* user) {
  auto answer = Channel(context).Call({"render_template", Text(template_text), Text(data_json)});
  if (!answer || answer->size() < 2) return -1;
  const auto rendered = static_cast<std::int32_t>(FrameInt((*answer)[0], -1));
  if (rendered >= 0 && sink != nullptr) sink(user, (*answer)[1].data(), (*answer)[1].size());
  return rendered;
}

std::int32_t RateAdjust(void* context, const char* bucket, double capacity,
                        double refill_per_second, double refund, double at_most, double* level) {
  auto answer =
      Channel(context).Call({"rate_adjust", Text(bucket), FramePart(capacity),
                             FramePart(refill_per_second), FramePart(refund), FramePart(at_most)});
  if (!answer || answer->size() < 2) return -1;
  if (level != nullptr) *level = FrameDouble((*answer)[1]);
  return static_cast<std::int32_t>(FrameInt((*answer)[0], -1));
}

std::int32_t SourceTopics(void* context, const char* source, storeflow_bytes_fn sink, void* user) {
  auto answer = Channel(context).Call({"source_topics", Text(source)});
  if (!answer || answer->size() < 2) return -1;
  const auto listed = static_cast<std::int32_t>(FrameInt((*answer)[0], -1));
  if (listed == 1 && sink != nullptr) sink(user, (*answer)[1].data(), (*answer)[1].size());
  return listed;
}

const char* PublicUrl(void* context) {
  auto answer = Channel(context).Call({"public_url"});
  if (!answer || answer->size() < 2 || (*answer)[0] != "1") return nullptr;
  return Channel(context).Keep("\x01public_url", (*answer)[1]);  // not a secret's name
}

storeflow_host_v1 ProxyTable(WorkerChannel& channel) {
  storeflow_host_v1 t{};
  t.struct_size = sizeof(storeflow_host_v1);
  t.context = &channel;
  t.reply_ok = ReplyOk;
  t.reply_error = ReplyError;
  t.log = Log;
  t.secret = Secret;
  t.kv_get = KvGet;
  t.kv_put = KvPut;
  t.kv_delete = KvDelete;
  t.counter_add = CounterAdd;
  t.histogram_observe = HistogramObserve;
  t.gauge_set = GaugeSet;
  t.now_ms = NowMs;
  t.rate_acquire = RateAcquire;
  t.render_template = RenderTemplate;
  t.rate_adjust = RateAdjust;
  t.source_topics = SourceTopics;  // ABI 1.2
  t.public_url = PublicUrl;
  return t;
}

WorkerFrame ReplyFrame(const storeflow_reply& reply) {
  if (reply.replies == 0) return {"no_reply"};
  if (reply.ok) return {"reply_ok", reply.output};
  return {"reply_error", FramePart(std::int64_t{reply.kind}), reply.code, reply.message,
          FramePart(reply.retry_after_ms)};
}

// invoke ACTION INPUT RUN_ID WORKFLOW STEP_PATH IDEMPOTENCY_KEY ATTEMPT NOW_MS DEADLINE_MS
// PREVIOUS_ATTEMPT
WorkerFrame Invoke(const storeflow_plugin_table_v1& table, void* instance,
                   const WorkerFrame& command) {
  if (command.size() < 11) return {"reply_error", "2", "plugin_worker", "a malformed invoke", "-1"};
  storeflow_call_v1 call{};
  call.struct_size = sizeof(storeflow_call_v1);
  call.run_id = FrameInt(command[3]);
  call.workflow = command[4].c_str();
  call.step_path = command[5].c_str();
  call.idempotency_key = command[6].c_str();
  call.attempt = static_cast<std::int32_t>(FrameInt(command[7], 1));
  call.now_ms = FrameInt(command[8]);
  call.deadline_ms = FrameInt(command[9], -1);
  call.previous_attempt = static_cast<std::int32_t>(FrameInt(command[10]));
  storeflow_reply reply;
  try {
    table.invoke(instance, command[1].c_str(), command[2].c_str(), &call, &reply);
  } catch (const std::exception& e) {
    return {"exception", e.what()};
  } catch (...) {
    return {"exception", ""};
  }
  return ReplyFrame(reply);
}

}  // namespace

int RunPluginWorker(const std::string& plugin_yaml, int fd) {
  // When the engine ends, whatever ended it, the socket closes: the reader thread
  // then ends this process (see WorkerChannel::ReadLoop).
  ::signal(SIGPIPE, SIG_IGN);
  WorkerChannel channel(fd);

  auto descriptor = ReadPluginDescriptor(plugin_yaml);
  Result<std::shared_ptr<PluginLibrary>> library =
      descriptor.ok() ? PluginLibrary::Load(*descriptor) : descriptor.status();
  if (!library.ok()) {
    channel.Send({"load_failed", library.status().message()});
    return 2;
  }
  const storeflow_plugin_table_v1& table = (*library)->table();
  const storeflow_host_v1 host = ProxyTable(channel);

  void* instance = nullptr;
  while (auto command = channel.NextCommand()) {
    const std::string& op = (*command)[0];
    if (op == "init" && instance == nullptr && command->size() >= 2) {
      storeflow_reply reply;
      try {
        instance = table.init(&host, (*command)[1].c_str(), &reply);
      } catch (...) {
        channel.Send({"init_failed", "init let an exception escape"});
        return 2;
      }
      if (instance == nullptr || (reply.replies > 0 && !reply.ok)) {
        channel.Send({"init_failed", reply.replies > 0 && !reply.ok
                                         ? reply.code + ": " + reply.message
                                         : "init returned no instance"});
        if (instance != nullptr) table.shutdown(instance);
        return 2;
      }
      channel.Send({"init_ok"});
    } else if (op == "invoke" && instance != nullptr) {
      channel.Send(Invoke(table, instance, *command));
    } else if (op == "shutdown") {
      break;
    }
  }
  if (instance != nullptr) {
    try {
      table.shutdown(instance);
    } catch (...) {  // the process ends either way
    }
  }
  return 0;
}

}  // namespace storeflow::plugin
