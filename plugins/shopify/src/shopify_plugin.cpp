// The plugin entry: parses the config and hands every call to ShopifyActions
// over the Poco transport.
#include <memory>

#include "poco_transport.h"
#include "shopify_actions.h"
#include "shopify_config.h"
#include "shopify_manifest.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

class ShopifyPlugin : public sdk::Plugin {
 public:
  ShopifyPlugin(sdk::Host& host, const sdk::Json& config)
      : actions_(host, ParseShopifyConfig(config), std::make_shared<PocoTransport>()) {}

  sdk::Json Invoke(std::string_view action, const sdk::Json& input,
                   const sdk::Call& call) override {
    return actions_.Invoke(action, input, call);
  }

 private:
  ShopifyActions actions_;
};

}  // namespace storeflow::plugins::shopify

STOREFLOW_PLUGIN(storeflow::plugins::shopify::ShopifyPlugin, STOREFLOW_PLUGIN_NAME,
                 STOREFLOW_PLUGIN_VERSION, storeflow::plugins::shopify::kShopifyManifest)
