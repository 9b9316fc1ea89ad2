#pragma once

// Whole databases on a PostgreSQL server, for a tool that gives each engine it
// starts an empty database of its own (`storeflow demo`). The tool's databases
// carry its mark (their COMMENT ON DATABASE): only those are ever dropped, and a
// database of the same name without the mark is refused, never touched.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace storeflow::store {

// `url` with the password in its user part replaced by "***" (any URL, parsed
// or not): what a message may show.
std::string UrlWithoutPassword(std::string_view url);

// The database a postgresql:// (or postgres://) URL names, decoded.
// kInvalidArgument when `url` is not a PostgreSQL URL or does not parse.
Result<std::string> PostgresDatabaseName(std::string_view url);

// `url` naming `database` instead: the user, password, host, port and query as
// they are. kInvalidArgument when `url` is not a PostgreSQL URL or does not parse.
Result<std::string> PostgresUrlWithDatabase(std::string_view url, std::string_view database);

// A name RecreateMarkedDatabases accepts: 1 to 63 bytes of a-z, 0-9 and _ (what
// psql and the URLs take unquoted), not starting with a digit.
bool IsPlainDatabaseName(std::string_view name);

// Connects to the database `url` names (it only reads the catalogue there) and
// makes each of `names` an empty database marked `mark`. Every name is checked
// before anything changes: when one exists without `mark` (someone else's),
// nothing is dropped or created and the answer is kFailedPrecondition naming it
// and the server. Then each that exists (marked) is dropped, and each is created
// and marked. `names`: IsPlainDatabaseName, else kInvalidArgument; `mark`: at
// most 200 printable ASCII characters without ' or \.
// A server that cannot be reached is kUnavailable; one that refuses the URL
// (authentication, a missing database) kFailedPrecondition; a role that may not
// create or drop a database kFailedPrecondition saying so. Messages show the URL
// without its password.
Status RecreateMarkedDatabases(std::string_view url, const std::vector<std::string>& names,
                               std::string_view mark);

}  // namespace storeflow::store
