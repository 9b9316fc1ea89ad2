#include "runtime/run_cursor.h"

#include <utility>

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;

// Reads the fields of one frame object: each lookup names its JSON path when the
// field has the wrong type. A missing field keeps the frame's default.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  Status Int(const char* name, int& out) const {
    auto it = object_.find(name);
    if (it == object_.end()) return Status::Ok();
    if (!it->is_number_integer()) return Malformed(name, "an integer", *it);
    out = it->get<int>();
    return Status::Ok();
  }
  Status String(const char* name, std::string& out) const {
    auto it = object_.find(name);
    if (it == object_.end()) return Status::Ok();
    if (!it->is_string()) return Malformed(name, "a string", *it);
    out = it->get<std::string>();
    return Status::Ok();
  }
  Status Array(const char* name, Json& out) const {
    auto it = object_.find(name);
    if (it == object_.end()) return Status::Ok();
    if (!it->is_array()) return Malformed(name, "a list", *it);
    out = *it;
    return Status::Ok();
  }

 private:
  Status Malformed(const char* name, const char* expected, const Json& got) const {
    return Internal("run state: " + path_ + "." + name + ": expected " + expected + ", got " +
                    got.type_name() + " (the run's cursor is damaged)");
  }

  const Json& object_;
  std::string path_;
};

Status NotAnObject(const std::string& path, const Json& got) {
  return Internal("run state: " + path + ": expected an object, got " + got.type_name() +
                  " (the run's cursor is damaged)");
}

Result<CursorFrame> FrameFromVersion1(const Json& j, const std::string& path) {
  if (!j.is_object()) return NotAnObject(path, j);
  CursorFrame f;
  FieldReader read(j, path);
  STOREFLOW_RETURN_IF_ERROR(read.Int("i", f.step));
  STOREFLOW_RETURN_IF_ERROR(read.Int("gen", f.generation));
  STOREFLOW_RETURN_IF_ERROR(read.String("foreach", f.foreach_id));
  STOREFLOW_RETURN_IF_ERROR(read.String("path", f.foreach_path));
  STOREFLOW_RETURN_IF_ERROR(read.String("as", f.as));
  STOREFLOW_RETURN_IF_ERROR(read.Int("item", f.index));
  STOREFLOW_RETURN_IF_ERROR(read.Array("items", f.items));
  STOREFLOW_RETURN_IF_ERROR(read.Array("outs", f.outputs));
  return f;
}

Result<CursorFrame> FrameFromJson(const Json& j, const std::string& path) {
  if (!j.is_object()) return NotAnObject(path, j);
  CursorFrame f;
  FieldReader read(j, path);
  STOREFLOW_RETURN_IF_ERROR(read.Int("step", f.step));
  STOREFLOW_RETURN_IF_ERROR(read.Int("generation", f.generation));
  auto foreach = j.find("foreach");
  if (foreach == j.end()) return f;
  const std::string foreach_path = path + ".foreach";
  if (!foreach->is_object()) return NotAnObject(foreach_path, *foreach);
  FieldReader nested(*foreach, foreach_path);
  STOREFLOW_RETURN_IF_ERROR(nested.String("id", f.foreach_id));
  STOREFLOW_RETURN_IF_ERROR(nested.String("path", f.foreach_path));
  STOREFLOW_RETURN_IF_ERROR(nested.String("as", f.as));
  STOREFLOW_RETURN_IF_ERROR(nested.Int("index", f.index));
  STOREFLOW_RETURN_IF_ERROR(nested.Array("items", f.items));
  STOREFLOW_RETURN_IF_ERROR(nested.Array("outputs", f.outputs));
  if (f.foreach_id.empty()) return Internal("run state: " + foreach_path + ".id: missing");
  return f;
}

Json FrameToJson(const CursorFrame& f) {
  Json j = {{"step", f.step}, {"generation", f.generation}};
  if (f.is_foreach()) {
    j["foreach"] = {{"id", f.foreach_id}, {"path", f.foreach_path}, {"as", f.as},
                    {"index", f.index},   {"items", f.items},       {"outputs", f.outputs}};
  }
  return j;
}

}  // namespace

bool RunCursor::InState(const Json& state) {
  return state.is_object() && (state.contains("cursor") || state.contains("frames"));
}

Result<RunCursor> RunCursor::FromState(const Json& state) {
  if (!state.is_object()) return RunCursor();
  if (auto cursor = state.find("cursor"); cursor != state.end()) return FromJson(*cursor);
  if (auto frames = state.find("frames"); frames != state.end()) return FromVersion1(*frames);
  return RunCursor();
}

void RunCursor::WriteTo(Json& state) const {
  state["cursor"] = ToJson();
  state.erase("frames");
}

Json RunCursor::ToJson() const {
  Json frames = Json::array();
  for (const CursorFrame& f : frames_) frames.push_back(FrameToJson(f));
  return {{"version", kVersion}, {"frames", std::move(frames)}};
}

Result<RunCursor> RunCursor::FromJson(const Json& cursor) {
  if (!cursor.is_object()) return NotAnObject("cursor", cursor);
  auto version = cursor.find("version");
  if (version == cursor.end() || !version->is_number_integer()) {
    return Internal("run state: cursor.version: missing or not an integer");
  }
  if (version->get<int>() > kVersion) {
    return FailedPrecondition("run state: cursor version " + std::to_string(version->get<int>()) +
                              " was written by a newer engine; this one reads versions 1 to " +
                              std::to_string(kVersion) + " (upgrade this engine)");
  }
  if (version->get<int>() < 2) {
    return Internal("run state: cursor.version " + std::to_string(version->get<int>()) +
                    ": version 1 is stored as state.frames, not state.cursor");
  }
  auto frames = cursor.find("frames");
  if (frames == cursor.end() || !frames->is_array()) {
    return Internal("run state: cursor.frames: missing or not a list");
  }
  std::vector<CursorFrame> out;
  out.reserve(frames->size());
  for (std::size_t k = 0; k < frames->size(); ++k) {
    auto frame = FrameFromJson((*frames)[k], "cursor.frames[" + std::to_string(k) + "]");
    if (!frame.ok()) return frame.status();
    out.push_back(std::move(frame).value());
  }
  if (out.empty()) out.emplace_back();
  return RunCursor(std::move(out));
}

Result<RunCursor> RunCursor::FromVersion1(const Json& frames) {
  if (!frames.is_array()) {
    return Internal(std::string("run state: frames: expected a list, got ") + frames.type_name());
  }
  std::vector<CursorFrame> out;
  out.reserve(frames.size());
  for (std::size_t k = 0; k < frames.size(); ++k) {
    auto frame = FrameFromVersion1(frames[k], "frames[" + std::to_string(k) + "]");
    if (!frame.ok()) return frame.status();
    out.push_back(std::move(frame).value());
  }
  if (out.empty()) out.emplace_back();
  return RunCursor(std::move(out));
}

CursorFrame RunCursor::Leave() {
  CursorFrame done = std::move(frames_.back());
  frames_.pop_back();
  return done;
}

void RunCursor::JumpTo(int index) {
  CursorFrame& f = top();
  if (index <= f.step) ++f.generation;
  f.step = index;
}

bool RunCursor::NextItem() {
  CursorFrame& f = top();
  if (++f.index >= static_cast<int>(f.items.size())) return false;
  f.step = 0;
  f.generation = 0;
  return true;
}

std::string RunCursor::PathFor(const std::string& id) const {
  const CursorFrame& f = top();
  std::string path;
  if (nested()) path = f.foreach_path + "[" + std::to_string(f.index) + "].";
  path += id;
  if (f.generation > 0) path += "#" + std::to_string(f.generation);
  return path;
}

void RunCursor::RecordOutput(const std::string& id, const Json& output) {
  if (!nested()) return;
  CursorFrame& f = top();
  if (f.index < static_cast<int>(f.outputs.size())) f.outputs[f.index][id] = output;
}

void RunCursor::AddLoopContext(Json& context) const {
  for (std::size_t d = 1; d < frames_.size(); ++d) {
    const CursorFrame& f = frames_[d];
    if (f.index < static_cast<int>(f.items.size()) && !f.items[f.index].is_null()) {
      context[f.as] = f.items[f.index];
    }
    context["loop"] = {{"index", f.index + 1}, {"count", f.items.size()}};
  }
}

}  // namespace storeflow::runtime
