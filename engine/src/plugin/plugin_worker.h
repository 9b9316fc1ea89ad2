#pragma once

// The worker process of an isolated plugin (`plugins.isolate`): the engine starts
// `storeflow __plugin-worker PLUGIN.yaml FD`, and this loads the plugin's library
// (with the same checks as in the engine), runs its init, invoke and shutdown,
// and forwards every host service the plugin calls to the engine over the socket
// FD (plugin/worker_frame.h). A crash here ends this process, not the engine.

#include <string>

namespace storeflow::plugin {

// The name of the hidden command line argument that starts a worker.
inline constexpr const char* kPluginWorkerCommand = "__plugin-worker";

// Serves the engine on `fd` until it says shutdown or closes the socket.
// Returns the process exit code (0 after a shutdown, 2 when the plugin did not
// load or init failed: the engine has its message).
int RunPluginWorker(const std::string& plugin_yaml, int fd);

}  // namespace storeflow::plugin
