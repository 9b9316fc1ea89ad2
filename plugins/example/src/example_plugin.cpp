// The example plugin (docs/plugin-sdk.md walks through it).
//
//   example.greet    {name, greeting?} -> {message, count}: greets someone and
//                    counts, in the plugin's key/value store, how often they
//                    were greeted; logs each greeting and counts it in a metric.
//   example.slugify  {text, max_length?} -> {slug}: "Hello, World!" -> "hello-world".
//   example.render   {template, data} -> {text}: the engine's ${{ }} templating.
//
// And one event source (ABI 1.3), `timer`: a workflow with `queue: timer/<topic>`
// gets an event {topic, tick, slot} every timer_interval_ms.
//
// Config (plugins.config.example): {greeting: "Hello", shout: false,
// timer_interval_ms: 60000}.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include <storeflow/plugin.hpp>

namespace {

using storeflow::sdk::Call;
using storeflow::sdk::Error;
using storeflow::sdk::Host;
using storeflow::sdk::Json;

constexpr const char* kManifest = R"json({
  "description": "An example for plugin authors: greets people and makes slugs",
  "config_schema": {
    "type": "object",
    "properties": {
      "greeting": {"type": "string", "minLength": 1, "default": "Hello"},
      "shout": {"type": "boolean", "default": false},
      "timer_interval_ms": {"type": "integer", "minimum": 10, "default": 60000}
    },
    "additionalProperties": false
  },
  "sources": [
    {"name": "timer", "description": "an event {topic, tick, slot} per topic every timer_interval_ms"}
  ],
  "metrics": [
    {"name": "greetings_total", "type": "counter", "help": "Greetings made by example.greet."}
  ],
  "actions": [
    {
      "name": "example.greet",
      "description": "greets someone and counts how often they were greeted",
      "input_schema": {
        "type": "object",
        "required": ["name"],
        "properties": {
          "name": {"type": "string", "minLength": 1},
          "greeting": {"type": "string"}
        },
        "additionalProperties": false
      },
      "output_schema": {
        "type": "object",
        "properties": {"message": {"type": "string"}, "count": {"type": "integer"}}
      },
      "examples": [{"name": "${{ event.customer.first_name }}"}, {"name": "Ada", "greeting": "Hi"}]
    },
    {
      "name": "example.slugify",
      "description": "turns text into a URL slug (lower case, dashes)",
      "input_schema": {
        "type": "object",
        "required": ["text"],
        "properties": {
          "text": {"type": "string"},
          "max_length": {"type": "integer", "minimum": 1}
        },
        "additionalProperties": false
      },
      "examples": [{"text": "${{ event.title }}", "max_length": 60}]
    },
    {
      "name": "example.render",
      "description": "renders a ${{ }} template with the engine's templating",
      "input_schema": {
        "type": "object",
        "required": ["template"],
        "properties": {"template": {"type": "string"}, "data": {"type": "object"}},
        "additionalProperties": false
      },
      "examples": [{"template": "Hello ${{ name }}", "data": {"name": "Ada"}}]
    }
  ]
})json";

std::string Slugify(std::string_view text, std::size_t max_length) {
  std::string slug;
  bool dash = false;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      if (dash && !slug.empty()) slug += '-';
      dash = false;
      slug += static_cast<char>(std::tolower(c));
    } else {
      dash = true;
    }
    if (slug.size() >= max_length) break;
  }
  if (slug.size() > max_length) slug.resize(max_length);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

class ExamplePlugin final : public storeflow::sdk::Plugin {
 public:
  // The config was checked against config_schema by the engine already.
  ExamplePlugin(Host& host, const Json& config)
      : host_(host),
        greeting_(config.value("greeting", "Hello")),
        shout_(config.value("shout", false)),
        interval_ms_(config.value("timer_interval_ms", std::int64_t{60'000})) {}

  Json Invoke(std::string_view action, const Json& input, const Call& call) override {
    if (action == "example.greet") return Greet(input, call);
    if (action == "example.slugify") {
      return {{"slug", Slugify(input.at("text").get<std::string>(),
                               input.value("max_length", std::size_t{200}))}};
    }
    if (action == "example.render") {
      return {{"text", host_.RenderTemplate(input.at("template").get<std::string>(),
                                            input.value("data", Json::object()))}};
    }
    throw Error::Permanent("unknown_action", "example has no action " + std::string(action));
  }

 private:
  Json Greet(const Json& input, const Call& call) {
    const std::string name = input.at("name").get<std::string>();
    std::string message = input.value("greeting", greeting_) + ", " + name + "!";
    if (shout_) {
      for (char& c : message) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    // Durable per-plugin state: survives restarts, invisible to other plugins.
    const std::string key = "greeted/" + name;
    const std::int64_t count = std::stoll(host_.KvGet(key).value_or("0")) + 1;
    host_.KvPut(key, std::to_string(count));
    host_.CounterAdd("greetings_total");  // storeflow_plugin_example_greetings_total
    host_.Info("greeted " + name + " (" + std::to_string(count) + " times)", &call);
    return {{"message", message}, {"count", count}};
  }

 public:
  // The `timer` source: runs on a thread of the engine until it is asked to stop.
  // Each tick is committed before the next one is due. The dedup key is the
  // time slot, so a restarted engine (or a second one on the same database)
  // does not tick twice for the same slot.
  void RunSource(std::string_view name, const Json& config,
                 const storeflow::sdk::SourceHost& source) override {
    if (name != "timer") {
      throw Error::Permanent("unknown_source", "example has no source " + std::string(name));
    }
    const auto topics = config.value("topics", std::vector<std::string>{});
    std::int64_t tick = 0;
    do {
      const std::int64_t slot = host_.NowMs() / interval_ms_;
      ++tick;
      for (const std::string& topic : topics) {
        const Json payload = {{"topic", topic}, {"tick", tick}, {"slot", slot}};
        // Blocks until committed; kFailed: the engine could not store it now,
        // so try again at the next tick.
        if (source.Publish(topic, topic + "/" + std::to_string(slot), payload.dump()) ==
            storeflow::sdk::SourceHost::Published::kFailed) {
          host_.Warn("timer: tick " + std::to_string(tick) + " of " + topic + " not stored");
        }
      }
    } while (!source.WaitForStop(interval_ms_));
  }

 private:
  Host& host_;
  std::string greeting_;
  bool shout_;
  std::int64_t interval_ms_;
};

}  // namespace

STOREFLOW_PLUGIN(ExamplePlugin, STOREFLOW_PLUGIN_NAME, STOREFLOW_PLUGIN_VERSION, kManifest)
