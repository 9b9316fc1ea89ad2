#pragma once

namespace storeflow::plugins::aws {

// The sqs plugin's manifest JSON (config schema, the sqs.* actions, the `sqs` source).
const char* SqsManifest();

}  // namespace storeflow::plugins::aws
