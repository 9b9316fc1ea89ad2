#include "product_set_input.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

namespace storeflow::shopify_sim {
namespace {

nlohmann::json UserError(nlohmann::json field, const std::string& message,
                         const std::string& code) {
  return {{"field", std::move(field)}, {"message", message}, {"code", code}};
}

// The option values of a REST variant, in option order.
std::vector<std::string> RestOptionValues(const nlohmann::json& variant) {
  std::vector<std::string> values;
  for (const char* key : {"option1", "option2", "option3"}) {
    if (variant.contains(key) && variant[key].is_string()) values.push_back(variant[key]);
  }
  return values;
}

}  // namespace

std::string MoneyText(const nlohmann::json& amount) {
  long long cents = 0;
  if (amount.is_number_integer()) {
    cents = amount.get<long long>() * 100;
  } else if (amount.is_number_float()) {
    const double value = amount.get<double>();
    if (!(value >= 0 && value < 1e12)) return {};
    cents = std::llround(value * 100);
  } else if (amount.is_string()) {
    const std::string text = amount.get<std::string>();
    const auto dot = text.find('.');
    const std::string whole = text.substr(0, dot);
    std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
    if (whole.empty() || whole.size() > 12 || frac.size() > 2) return {};
    for (const char c : whole + frac) {
      if (c < '0' || c > '9') return {};
    }
    frac.resize(2, '0');
    cents = std::stoll(whole) * 100 + std::stoll(frac);
  } else {
    return {};
  }
  if (cents < 0) return {};
  char text[40];
  std::snprintf(text, sizeof text, "%lld.%02lld", cents / 100, cents % 100);
  return text;
}

VariantSetResult BuildVariants(Shop& shop, std::int64_t product_id, const nlohmann::json& input,
                               const nlohmann::json& existing, const std::string& now_rest) {
  VariantSetResult out;
  out.options = nlohmann::json::array();
  out.variants = nlohmann::json::array();
  out.user_errors = nlohmann::json::array();
  const nlohmann::json& variants = input["variants"];
  if (!variants.is_array()) {
    out.user_errors.push_back(
        UserError({"input", "variants"}, "Variants must be a list", "INVALID_INPUT"));
    return out;
  }
  // The options: given, else the product's.
  std::vector<std::string> option_names;
  const auto given = input.find("productOptions");
  if (given != input.end() && given->is_array()) {
    for (std::size_t i = 0; i < given->size(); ++i) {
      const auto& o = (*given)[i];
      const std::string name = o.is_object() ? StringField(o, "name") : "";
      if (name.empty()) {
        out.user_errors.push_back(UserError({"input", "productOptions", std::to_string(i), "name"},
                                            "Option name can't be blank", "BLANK"));
        continue;
      }
      option_names.push_back(name);
    }
  } else if (existing.is_object() && existing.contains("options") &&
             existing["options"].is_array()) {
    for (const auto& o : existing["options"]) option_names.push_back(StringField(o, "name"));
  }
  if (option_names.size() > 3) {
    out.user_errors.push_back(UserError({"input", "productOptions"},
                                        "Product can have a maximum of 3 options", "INVALID"));
  }
  if (option_names.empty() && !variants.empty()) {
    out.user_errors.push_back(UserError({"input", "productOptions"},
                                        "Product options are required when variants are given",
                                        "INVALID_INPUT"));
  }
  if (!out.user_errors.empty()) return out;

  // Ids of the variants the product had, by their option values.
  std::map<std::vector<std::string>, nlohmann::json> before;
  if (existing.is_object() && existing.contains("variants") && existing["variants"].is_array()) {
    for (const auto& v : existing["variants"]) before[RestOptionValues(v)] = v;
  }
  std::vector<std::vector<std::string>> values_per_option(option_names.size());
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    const std::string where = std::to_string(i);
    if (!v.is_object() || !v.contains("optionValues") || !v["optionValues"].is_array()) {
      out.user_errors.push_back(UserError({"input", "variants", where, "optionValues"},
                                          "Option values are required", "INVALID_INPUT"));
      continue;
    }
    std::vector<std::string> values(option_names.size());
    for (const auto& ov : v["optionValues"]) {
      const std::string option = StringField(ov, "optionName");
      const std::string value = StringField(ov, "name");
      std::size_t k = 0;
      while (k < option_names.size() && option_names[k] != option) ++k;
      if (k == option_names.size() || value.empty()) {
        out.user_errors.push_back(UserError({"input", "variants", where, "optionValues"},
                                            "Option '" + option + "' does not exist",
                                            "OPTION_DOES_NOT_EXIST"));
        continue;
      }
      values[k] = value;
    }
    std::string title;
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (values[k].empty()) {
        out.user_errors.push_back(
            UserError({"input", "variants", where, "optionValues"},
                      "A value for option '" + option_names[k] + "' is required", "INVALID_INPUT"));
      }
      title += (k == 0 ? "" : " / ") + values[k];
      auto& seen = values_per_option[k];
      if (std::find(seen.begin(), seen.end(), values[k]) == seen.end()) seen.push_back(values[k]);
    }
    std::string price = "0.00";
    if (v.contains("price") && !v["price"].is_null()) {
      price = MoneyText(v["price"]);
      if (price.empty()) {
        out.user_errors.push_back(UserError({"input", "variants", where, "price"},
                                            "Price must be a decimal amount", "INVALID"));
      }
    }
    nlohmann::json compare_at = nullptr;
    if (v.contains("compareAtPrice") && !v["compareAtPrice"].is_null()) {
      const std::string text = MoneyText(v["compareAtPrice"]);
      if (text.empty()) {
        out.user_errors.push_back(UserError({"input", "variants", where, "compareAtPrice"},
                                            "Compare at price must be a decimal amount",
                                            "INVALID"));
      }
      compare_at = text;
    }
    const auto previous = before.find(values);
    std::int64_t id = 0;
    if (v.contains("id") && !v["id"].is_null()) {
      id = IdFromJson(v["id"]).value_or(0);
    } else if (previous != before.end()) {
      id = IdFromJson(previous->second.value("id", nlohmann::json())).value_or(0);
    }
    if (id == 0) id = shop.store.NextId();
    nlohmann::json rest = {
        {"id", id},
        {"product_id", product_id},
        {"title", title},
        {"price", price},
        {"compare_at_price", compare_at},
        {"sku", v.value("sku", nlohmann::json(""))},
        {"barcode", v.value("barcode", nlohmann::json(nullptr))},
        {"position", static_cast<int>(i) + 1},
        {"inventory_policy",
         v.contains("inventoryPolicy") && v["inventoryPolicy"] == "CONTINUE" ? "continue" : "deny"},
        {"taxable", v.value("taxable", true)},
        {"created_at", previous != before.end() && previous->second.contains("created_at") &&
                               previous->second["created_at"].is_string()
                           ? previous->second["created_at"].get<std::string>()
                           : now_rest},
        {"updated_at", now_rest},
        {"admin_graphql_api_id", MakeGid("ProductVariant", id)}};
    for (std::size_t k = 0; k < 3; ++k) {
      const std::string key = "option" + std::to_string(k + 1);
      rest[key] = k < values.size() ? nlohmann::json(values[k]) : nlohmann::json(nullptr);
    }
    out.variants.push_back(std::move(rest));
  }
  if (!out.user_errors.empty()) return out;
  for (std::size_t k = 0; k < option_names.size(); ++k) {
    const std::int64_t option_id = shop.store.NextId();
    out.options.push_back({{"id", option_id},
                           {"product_id", product_id},
                           {"name", option_names[k]},
                           {"position", static_cast<int>(k) + 1},
                           {"values", values_per_option[k]}});
  }
  return out;
}

}  // namespace storeflow::shopify_sim
