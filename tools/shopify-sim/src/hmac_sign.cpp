#include "hmac_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Base64Encoder.h>

#include <sstream>

namespace storeflow::shopify_sim {

std::string HmacSha256Base64(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(reinterpret_cast<const char*>(digest), length);
  encoder.close();
  return out.str();
}

}  // namespace storeflow::shopify_sim
