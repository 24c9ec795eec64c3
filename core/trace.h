// Protocol tracing for -V / `trace: true`, in nats-server's words:
//   <ip:port> - cid:<n> [- "v<version>:<lang>:<name>"] - <<- [SUB foo 1]
// Callers test log::trace_enabled() first, so with tracing off nothing is
// built and the message path pays one relaxed load per operation.
#pragma once

#include <string_view>

#include "core/conn.h"

namespace ringnats::trace {

// An operation read from the client: "<<- [OP args]".
void in(const Conn& c, std::string_view op, std::string_view args);
// The payload of a PUB/HPUB: "<<- MSG_PAYLOAD: [\"...\"]".
void payload(const Conn& c, std::string_view payload);
// A line written to the client (without its CRLF): "->> [line]".
void out(const Conn& c, std::string_view line);
// An UNSUB that removed a subscription: "<-> [DELSUB sid]".
void delsub(const Conn& c, std::string_view sid);

}  // namespace ringnats::trace
