// Go's text formats that nats-server's monitoring output is made of: time.Time
// and time.Duration as Go prints them, nats' uptime strings, strconv error
// texts, and encoding/json's output. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/conf.h"

namespace ringnats::monitor {

using Json = nlohmann::ordered_json;

// RFC 3339 with nanoseconds, trailing zeros trimmed, as Go marshals a
// time.Time: in UTC ("Z") or in the local zone ("+01:00"). 0 is Go's zero
// time, "0001-01-01T00:00:00Z".
std::string go_time(int64_t unix_ns, bool utc);

// time.Duration.String() (config/conf.h, which core's log lines use too).
using conf::go_duration;

// nats' uptime/idle text: whole seconds, "0s", "5m3s", "2d1h0m0s", "1y2d..".
std::string nats_uptime(int64_t ns);

// nats' RTT: a round trip between 1µs and 1ms is truncated to the µs.
std::string nats_rtt(int64_t ns);

// strconv.Quote of s (what Go's %q prints in strconv errors): the config
// layer's, which reports config values the same way.
using conf::go_quote;

// strconv.ParseBool / Atoi / ParseUint(s, 10, 64). On failure `err` gets the
// Go error text, e.g. `strconv.Atoi: parsing "x": invalid syntax`.
std::optional<bool> go_parse_bool(std::string_view s, std::string& err);
std::optional<int64_t> go_atoi(std::string_view s, std::string& err);
std::optional<uint64_t> go_parse_uint(std::string_view s, std::string& err);

// encoding/json output: json.Marshal (indent false) or MarshalIndent(v, "",
// "  ") (indent true). Differs from nlohmann's dump in escaping (<, >, & as
// \u003c..., invalid UTF-8 as \ufffd) and in numbers (0 not 0.0, 1e-07).
std::string go_json(const Json& v, bool indent);

// Go's float64 text in JSON ('f' or 'e', shortest).
std::string go_float(double f);

}  // namespace ringnats::monitor
