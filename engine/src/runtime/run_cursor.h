#pragma once

// Where a run is in its workflow: a stack of frames, one for the top-level step
// list and one per open `foreach`. The cursor is persisted in the run's state
// (`runs.state.cursor`) with every step result, so a run resumes where it was.
//
// Persisted format, version 2 (written):
//   "cursor": {"version": 2, "frames": [
//     {"step": 1, "generation": 0},
//     {"step": 0, "generation": 0,
//      "foreach": {"id": "emails", "path": "emails", "as": "address",
//                  "index": 1, "items": [...], "outputs": [{...}, ...]}}]}
// Version 1 (read only; engines before the cursor was versioned) kept the frames
// in "state.frames" with the fields i, gen, foreach, path, as, item, items, outs.
// Frames are stored as written and read back as they were: a reader never
// guesses a missing field except where version 1 left it out (its defaults).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "common/result.h"

namespace storeflow::runtime {

// One level of the cursor: a step list and where in it the run is.
struct CursorFrame {
  int step = 0;        // index of the current step in the list
  int generation = 0;  // incremented by a backward jump: later visits get fresh step paths
  // A foreach frame (nested steps over a list); empty foreach_id on the top level.
  std::string foreach_id;    // the foreach step's id
  std::string foreach_path;  // the foreach step's path
  std::string as = "item";   // the name the current item has in expressions
  int index = 0;             // the current item
  nlohmann::json items = nlohmann::json::array();
  nlohmann::json outputs = nlohmann::json::array();  // per item: {nested step id: output}

  bool is_foreach() const { return !foreach_id.empty(); }
  bool operator==(const CursorFrame&) const = default;
};

class RunCursor {
 public:
  static constexpr int kVersion = 2;

  // A fresh run's cursor: at the first top-level step.
  RunCursor() : frames_(1) {}

  // Whether `state` (a run's state) holds a cursor: false for a run that has not
  // taken a step yet.
  static bool InState(const nlohmann::json& state);
  // The cursor of a run's state, in either version; a fresh cursor when there is
  // none. InvalidArgument naming the JSON path of what is malformed, or a version
  // newer than this engine reads.
  static Result<RunCursor> FromState(const nlohmann::json& state);
  // Writes this cursor into `state` (an object) in the current version, replacing
  // a version-1 cursor.
  void WriteTo(nlohmann::json& state) const;

  // The codec alone: the "cursor" value of the current version, and its reader.
  nlohmann::json ToJson() const;
  static Result<RunCursor> FromJson(const nlohmann::json& cursor);
  // The reader of version 1 ("state.frames").
  static Result<RunCursor> FromVersion1(const nlohmann::json& frames);

  const std::vector<CursorFrame>& frames() const { return frames_; }
  std::size_t depth() const { return frames_.size() - 1; }  // 0: the top-level list
  bool nested() const { return frames_.size() > 1; }
  CursorFrame& top() { return frames_.back(); }
  const CursorFrame& top() const { return frames_.back(); }

  // Enters a foreach (a frame over its items) / leaves it; Leave returns it.
  void Enter(CursorFrame frame) { frames_.push_back(std::move(frame)); }
  CursorFrame Leave();

  // Moves to the next step of the current list.
  void Advance() { ++top().step; }
  // Moves to step `index` of the current list; a backward (or same) jump starts a
  // new generation, so the steps visited again get fresh paths.
  void JumpTo(int index);
  // The next item of the innermost foreach (from its first step); false when the
  // items are done.
  bool NextItem();

  // The step path of step `id` in the current list: "send", "emails[2].send",
  // "count#1" (after a backward jump).
  std::string PathFor(const std::string& id) const;
  // Records a nested step's output for the current item of the innermost foreach
  // (no-op at the top level).
  void RecordOutput(const std::string& id, const nlohmann::json& output);
  // Adds the open foreach frames' names to an expression context: the current
  // item under its `as` name (absent when null) and `loop` {index, count}.
  void AddLoopContext(nlohmann::json& context) const;

  bool operator==(const RunCursor&) const = default;

 private:
  explicit RunCursor(std::vector<CursorFrame> frames) : frames_(std::move(frames)) {}

  std::vector<CursorFrame> frames_;
};

}  // namespace storeflow::runtime
