// storeflow-shopify-sim --port 0 --fixtures DIR [--orders N] [--seed S]
//
// Serves one or more simulated Shopify shops on 127.0.0.1 and prints exactly one line
// "listening on http://127.0.0.1:PORT" when ready; runs until SIGTERM or SIGINT.

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "fixtures.h"
#include "http_router.h"
#include "order_generator.h"
#include "sim_state.h"
#include "webhook_dispatcher.h"

namespace {

const char* const kUsage =
    "usage: storeflow-shopify-sim --port PORT --fixtures DIR [--orders N] [--seed S]\n"
    "  --port PORT     port on 127.0.0.1 (0: any free port)\n"
    "  --fixtures DIR  folder with shops.json and optional {domain}/{orders,...}.json\n"
    "  --orders N      generate N orders per shop (default 0)\n"
    "  --seed S        generator seed (default 1)\n";

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  using storeflow::shopify_sim::Simulator;
  int port = -1;
  std::string fixtures;
  int orders = 0;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (!has_value) {
      std::cerr << "storeflow-shopify-sim: " << arg << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string value = argv[++i];
    bool ok = true;
    if (arg == "--port") {
      ok = ParseNumber(value, &port) && port >= 0 && port <= 65535;
    } else if (arg == "--fixtures") {
      fixtures = value;
    } else if (arg == "--orders") {
      ok = ParseNumber(value, &orders) && orders >= 0 && orders <= 1000000;
    } else if (arg == "--seed") {
      ok = ParseNumber(value, &seed);
    } else {
      std::cerr << "storeflow-shopify-sim: unknown option " << arg << "\n" << kUsage;
      return 2;
    }
    if (!ok) {
      std::cerr << "storeflow-shopify-sim: " << arg << ": invalid value '" << value << "'\n";
      return 2;
    }
  }
  if (port < 0 || fixtures.empty()) {
    std::cerr << "storeflow-shopify-sim: --port and --fixtures are required\n" << kUsage;
    return 2;
  }

  // SIGTERM/SIGINT end the server: block them here, wait for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Simulator sim;
  const auto loaded = storeflow::shopify_sim::LoadFixtures(fixtures, sim);
  if (!loaded.ok()) {
    std::cerr << "storeflow-shopify-sim: " << loaded.message() << "\n";
    return 1;
  }
  if (orders > 0) {
    std::lock_guard lock(sim.mutex());
    for (const auto& [domain, shop] : sim.shops()) {
      storeflow::shopify_sim::GenerateOrders(*shop, orders, seed);
    }
  }

  try {
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    // Every kept-alive connection holds a thread: a pool of its own, larger than Poco's
    // default, so that many clients (several engines, each with a worker pool) are served
    // at once instead of queueing behind idle connections.
    Poco::ThreadPool threads(4, 128);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(128);
    params->setMaxQueued(512);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPServer server(new storeflow::shopify_sim::SimRequestHandlerFactory(sim), threads,
                                 socket, params);
    server.start();
    sim.dispatcher().Start();
    std::cout << "listening on http://127.0.0.1:" << socket.address().port() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    sim.dispatcher().Stop();
    server.stopAll(true);
  } catch (const Poco::Exception& e) {
    std::cerr << "storeflow-shopify-sim: " << e.displayText() << "\n";
    return 1;
  }
  return 0;
}
