#include "store_snapshot.h"

#include <libpq-fe.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace storeflow::chaos {

std::optional<std::vector<std::vector<std::string>>> PgQuery(const std::string& url,
                                                             const std::string& sql,
                                                             const std::vector<std::string>& params,
                                                             std::string* error) {
  // connect_timeout bounds a connection attempt to a server that is away.
  const std::string conninfo =
      url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=5";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::optional<std::vector<std::vector<std::string>>> rows;
  if (PQstatus(conn) != CONNECTION_OK) {
    *error = PQerrorMessage(conn);
    PQfinish(conn);
    return rows;
  }
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* res = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  if (PQresultStatus(res) == PGRES_TUPLES_OK) {
    rows.emplace();
    for (int r = 0; r < PQntuples(res); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < PQnfields(res); ++c) {
        row.emplace_back(PQgetisnull(res, r, c) ? "" : PQgetvalue(res, r, c));
      }
      rows->push_back(std::move(row));
    }
  } else {
    *error = PQerrorMessage(conn);
  }
  PQclear(res);
  PQfinish(conn);
  return rows;
}

std::optional<StoreSnapshot> ReadSnapshot(const std::string& url, const std::string& workflow,
                                          const std::string& counter_collection,
                                          std::string* error) {
  StoreSnapshot snapshot;
  auto events = PgQuery(url, "SELECT id, payload FROM events WHERE topic = $1 ORDER BY id",
                        {"shopify/orders/create"}, error);
  if (!events) return std::nullopt;
  for (const auto& row : *events) {
    const auto payload = nlohmann::json::parse(row[1], nullptr, false);
    StoredEvent e;
    e.id = std::stoll(row[0]);
    e.order = payload.is_object() && payload.contains("id") && payload["id"].is_number_integer()
                  ? payload["id"].get<std::int64_t>()
                  : 0;
    snapshot.events.push_back(e);
  }
  auto runs = PgQuery(url,
                      "SELECT id, status, COALESCE(event_id, 0) FROM runs WHERE workflow = $1 "
                      "ORDER BY id",
                      {workflow}, error);
  if (!runs) return std::nullopt;
  for (const auto& row : *runs) {
    snapshot.runs.push_back({std::stoll(row[0]), row[1], std::stoll(row[2])});
  }
  auto records = PgQuery(url, "SELECT record_key, value FROM records WHERE collection = $1",
                         {counter_collection}, error);
  if (!records) return std::nullopt;
  for (const auto& row : *records) {
    const auto value = nlohmann::json::parse(row[1], nullptr, false);
    snapshot.counters[row[0]] =
        value.is_object() && value.contains("n") && value["n"].is_number_integer()
            ? value["n"].get<std::int64_t>()
            : -1;
  }
  return snapshot;
}

std::int64_t OpenRuns(const std::string& url, const std::string& workflow) {
  std::string error;
  auto rows = PgQuery(url,
                      "SELECT count(*) FROM runs WHERE workflow = $1 AND status NOT IN "
                      "('completed', 'failed', 'cancelled', 'rejected', 'skipped')",
                      {workflow}, &error);
  if (!rows || rows->empty()) return -1;
  return std::stoll((*rows)[0][0]);
}

bool WaitUntilRunsEnded(const std::string& url, const std::string& workflow,
                        std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (OpenRuns(url, workflow) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

std::string ExactlyOnceReport::Summary() const {
  std::ostringstream s;
  s << acked_orders << " orders acknowledged with 200, " << stored_unacked
    << " stored without an acknowledgement (their answers were lost), " << problems.size()
    << " problems";
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) s << "\n  " << problems[i];
  if (problems.size() > 20) s << "\n  ... and " << problems.size() - 20 << " more";
  return s.str();
}

ExactlyOnceReport CheckExactlyOnce(const std::vector<Delivery>& log,
                                   const StoreSnapshot& snapshot) {
  ExactlyOnceReport report;
  std::map<std::int64_t, std::vector<std::int64_t>> events_of_order;
  for (const auto& e : snapshot.events) events_of_order[e.order].push_back(e.id);
  std::map<std::int64_t, std::vector<const StoredRun*>> runs_of_event;
  for (const auto& r : snapshot.runs) runs_of_event[r.event_id].push_back(&r);

  // Every stored order: one event, one run, completed, its counting step once.
  for (const auto& [order, ids] : events_of_order) {
    const std::string o = "order " + std::to_string(order);
    if (ids.size() != 1) {
      report.problems.push_back(o + " is stored " + std::to_string(ids.size()) + " times");
    }
    for (std::int64_t id : ids) {
      const auto& runs = runs_of_event[id];
      if (runs.size() != 1) {
        report.problems.push_back(o + " (event " + std::to_string(id) + ") has " +
                                  std::to_string(runs.size()) + " runs");
      }
      for (const StoredRun* run : runs) {
        if (run->status != "completed") {
          report.problems.push_back(o + ": run " + std::to_string(run->id) + " is " + run->status +
                                    ", not completed");
        }
      }
    }
    auto counter = snapshot.counters.find(std::to_string(order));
    const std::int64_t n = counter == snapshot.counters.end() ? 0 : counter->second;
    if (n != 1) {
      report.problems.push_back(o + ": its store.patch step took effect " + std::to_string(n) +
                                " times");
    }
  }

  // Every acknowledged order is stored; a first acknowledgement names that event
  // and its run; an order is acknowledged as new at most once.
  std::set<std::int64_t> acked;
  std::map<std::int64_t, std::int64_t> new_event_of_order;
  for (const auto& d : log) {
    if (d.status != 200) continue;
    acked.insert(d.order);
    const std::string o = "order " + std::to_string(d.order);
    auto stored = events_of_order.find(d.order);
    if (stored == events_of_order.end()) {
      report.problems.push_back(o + " was acknowledged (200) but is not stored");
      continue;
    }
    if (d.duplicate) continue;
    if (auto [it, inserted] = new_event_of_order.emplace(d.order, d.event_id); !inserted) {
      report.problems.push_back(o + " was acknowledged as new twice (events " +
                                std::to_string(it->second) + " and " + std::to_string(d.event_id) +
                                ")");
    }
    if (stored->second.size() == 1 && stored->second[0] != d.event_id) {
      report.problems.push_back(o + ": the 200 named event " + std::to_string(d.event_id) +
                                ", the store has " + std::to_string(stored->second[0]));
    }
    const auto& runs = runs_of_event[d.event_id];
    if (d.runs.size() != 1 || runs.size() != 1 || runs[0]->id != d.runs[0]) {
      report.problems.push_back(o + ": the 200 named " + std::to_string(d.runs.size()) +
                                " runs, not the one stored run");
    }
  }
  report.acked_orders = acked.size();
  for (const auto& [order, ids] : events_of_order) {
    if (acked.count(order) == 0) ++report.stored_unacked;
  }
  return report;
}

}  // namespace storeflow::chaos
