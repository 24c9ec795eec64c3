// Server URL lists (`nats://host:port,host:port`) and a plain TCP dial with a
// deadline; shared by the load generator and the `nats` CLI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringnats::bench {

struct ServerUrl {
  std::string host;
  uint16_t port = 4222;
  std::string text() const { return "nats://" + host + ":" + std::to_string(port); }
};

// Accepts "nats://h:p", "h:p", "h" (port 4222), comma separated. Returns
// false (and leaves a message in err) on a malformed entry.
bool parse_server_list(std::string_view list, std::vector<ServerUrl>& out, std::string& err);

// Connects a blocking TCP socket with TCP_NODELAY; -errno on failure.
int dial_tcp(const ServerUrl& url, int timeout_ms);

// Monotonic clock in nanoseconds (shared by all processes on the host).
uint64_t now_ns();

}  // namespace ringnats::bench
