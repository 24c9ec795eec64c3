// nats-server 2.9 options that ringnats does not implement, and the verdict on
// each: refuse to start (anything deciding who may connect or what a client may
// see, and TLS anywhere) or ignore with a warning (only where that is safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/conf.h"

namespace ringnats::unsupported {

// Why ignoring an option would be unsafe: the text after
// "... is not supported by ringnats: ".
inline constexpr std::string_view kWhyTls =
    "connections would be plain text; terminate TLS in a proxy in front of ringnats";
inline constexpr std::string_view kWhyUsers =
    "only a single user/password or token is supported; the users listed would not be checked";
inline constexpr std::string_view kWhyPermissions =
    "every client could publish and subscribe to every subject";
inline constexpr std::string_view kWhyClusterPermissions =
    "routes would import and export every subject";
inline constexpr std::string_view kWhyRouteBcrypt =
    "a bcrypt route password would be checked on a shard thread, stalling its clients; use a plain password "
    "(inside cluster TLS) or verify_and_map";
inline constexpr std::string_view kWhyJwt =
    "JWT accounts and users are not checked, so clients would connect without their credentials";
inline constexpr std::string_view kWhyMappings =
    "subscribers would receive messages on the subjects they were mapped away from";

// "<file:line:col>: \"<path>\" is not supported by ringnats: <why>", the line
// for an option refused inside a block ringnats otherwise implements.
std::string refusal(const conf::ConfValue& at, const std::string& path, std::string_view why);

// Handles a top-level key (as written in the file) that ringnats does not
// implement. Returns false when nats-server 2.9 has no such key either (the
// caller reports an unknown field). Otherwise appends an error line when the
// option is refused, or the option's name to `ignored` when it is safe to
// ignore (main logs a warning for each).
bool check_top_key(const std::string& key, const conf::ConfValue& v, std::vector<std::string>& errors,
                   std::vector<std::string>& ignored);

}  // namespace ringnats::unsupported
