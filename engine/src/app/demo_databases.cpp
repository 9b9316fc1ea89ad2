#include "app/demo_databases.h"

#include "store/pg_databases.h"

namespace storeflow::app {

namespace fs = std::filesystem;

Result<DemoDatabases> PrepareDemoDatabases(const std::optional<std::string>& db,
                                           const fs::path& dir,
                                           const std::vector<fs::path>& day_folders) {
  DemoDatabases out;
  const bool postgres =
      db && (db->rfind("postgresql://", 0) == 0 || db->rfind("postgres://", 0) == 0);
  if (!postgres) {
    out.visit = db.value_or("sqlite:" + (dir / "store.db").string());
    for (const fs::path& folder : day_folders) {
      out.days.push_back("sqlite:" + (folder / "store.db").string());
    }
    return out;
  }
  out.server = store::UrlWithoutPassword(*db);
  auto base = store::PostgresDatabaseName(*db);
  if (!base.ok()) return base.status();
  std::vector<std::string> names = {*base + "_demo"};
  for (std::size_t k = 0; k < day_folders.size(); ++k) {
    names.push_back(*base + "_demo_day" + (k == 0 ? "" : "_" + std::to_string(k + 1)));
  }
  if (!store::IsPlainDatabaseName(*base) || !store::IsPlainDatabaseName(names.back())) {
    return InvalidArgument(
        "--db " + out.server + ": the demo names its databases after the URL's database (" +
        names.front() + ", " + names[names.size() > 1 ? 1 : 0] +
        ", ...): name a database of a-z, 0-9 and _, not starting with a digit, short enough "
        "for " +
        names.back() + " to fit PostgreSQL's 63 bytes");
  }
  const Status made = store::RecreateMarkedDatabases(*db, names, kDemoDatabaseMark);
  if (!made.ok()) {
    std::string message = made.message();
    if (made.code() == StatusCode::kFailedPrecondition &&
        message.find("was not made here") != std::string::npos) {
      std::string list;
      for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
      message += ". The demo plays in databases of its own (" + list +
                 ": named after the database of --db, and marked so that the next run may drop "
                 "and make them again); it never drops a database it did not make. Drop or "
                 "rename that database if nothing needs it, or give --db another database name";
    }
    return Status(made.code(), message);
  }
  out.made = names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto url = store::PostgresUrlWithDatabase(*db, names[i]);
    if (!url.ok()) return url.status();
    if (i == 0) {
      out.visit = *url;
    } else {
      out.days.push_back(*url);
    }
  }
  return out;
}

}  // namespace storeflow::app
