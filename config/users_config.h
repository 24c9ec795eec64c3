// The `users` array of an authorization block or an account, as nats-server
// 2.9 reads it: named users with passwords, nkey users, their permissions.
#pragma once

#include <string>

#include "config/config_sink.h"

namespace ringnats {

// Appends each entry of `v` to o.security.users with `account` set ("" for
// the global account). `path` names the array in refusals.
bool parse_users(const conf::ConfValue& v, const std::string& path, const std::string& account, Options& o,
                 confparse::Sink& s);

}  // namespace ringnats
