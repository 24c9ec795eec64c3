// Maps a parsed nats-server config tree onto Options, key by key as nats'
// ProcessConfigFile does; options ringnats does not implement are refused or
// ignored as config/unsupported.h decides.
#pragma once

#include <string>
#include <vector>

#include "config/conf.h"
#include "config/options.h"

namespace ringnats {

// Applies the top-level map `root` to opts. Errors and warnings are complete
// "file:line:col: ..." lines; `ignored` gets the names of options accepted
// but not acted on (main logs a warning for each).
void apply_config(const conf::ConfValue& root, Options& opts, std::vector<std::string>& errors,
                  std::vector<std::string>& warnings, std::vector<std::string>& ignored);

}  // namespace ringnats
