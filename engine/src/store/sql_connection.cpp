#include "store/sql_connection.h"

#include <charconv>

#include "store/store_error.h"

namespace storeflow::store::internal {

std::string FirstLine(std::string_view text) {
  const auto end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string StatementHint(const std::string& sql) {
  std::string hint = FirstLine(sql);
  if (hint.size() > 100) hint = hint.substr(0, 97) + "...";
  return hint;
}

void SqlConnection::ThrowIfBroken() const {
  if (broken_) throw StoreError(Unavailable(peer_ + " unreachable: the connection was lost"));
}

const std::string& SqlRows::Text(std::size_t row, int col) const {
  static const std::string kEmpty;
  const auto& value = cell(row, col);
  return value.isNull() ? kEmpty : value.value();
}

std::optional<std::string> SqlRows::OptText(std::size_t row, int col) const {
  const auto& value = cell(row, col);
  if (value.isNull()) return std::nullopt;
  return value.value();
}

std::int64_t SqlRows::Int(std::size_t row, int col) const {
  const auto value = OptInt(row, col);
  if (!value) {
    throw StoreError(Internal("column " + std::to_string(col) + " of a result row is null"));
  }
  return *value;
}

std::optional<std::int64_t> SqlRows::OptInt(std::size_t row, int col) const {
  const auto& value = cell(row, col);
  if (value.isNull()) return std::nullopt;
  const std::string& text = value.value();
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw StoreError(Internal("column " + std::to_string(col) + " holds '" + text.substr(0, 40) +
                              "' where an integer was expected"));
  }
  return out;
}

}  // namespace storeflow::store::internal
