// The pieces of Go's standard library whose behaviour shows in nats-server's
// messages (net.SplitHostPort, url.Parse, strconv), so flags and config values
// are accepted, rejected and reported exactly as nats-server 2.9 does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/conf.h"

namespace ringnats::golang {

// ASCII strings.ToLower and strings.TrimSpace.
std::string lower(std::string_view s);
std::string trim(std::string_view s);

// net.SplitHostPort; err gets Go's text ("address h: missing port in address").
bool split_host_port(const std::string& hp, std::string& host, std::string& port, std::string& err);

// The parts of Go's url.Parse that nats' --cluster and route handling depend on.
struct GoUrl {
  std::string scheme, host, user, password;
  bool has_user = false, has_password = false;
};
bool parse_go_url(const std::string& raw, GoUrl& u, std::string& err);

enum class IntErr { Ok, Syntax, Range };
// strconv.ParseInt(s, 0, 64) as Go's flag package uses it (0x, 0o, 0b, _).
IntErr parse_go_int(std::string_view s, int64_t& out);
// strconv.Atoi: optional sign and decimal digits only.
IntErr parse_decimal(std::string_view s, int64_t& out);
// strconv.ParseBool.
bool parse_go_bool(std::string_view s, bool& out);

}  // namespace ringnats::golang
