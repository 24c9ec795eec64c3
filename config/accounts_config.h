// The `accounts` block: names, users, exports and imports, checked as
// nats-server 2.9 checks them (see accounts_config.cc).
#pragma once

#include <string>

#include "config/config_sink.h"

namespace ringnats {

void parse_accounts(const conf::ConfValue& v, const std::string& key, Options& o, confparse::Sink& s);

}  // namespace ringnats
