// Reading the NATS/1.0 header block of a message the way nats-server's
// getHeader does (exact-case key at a line start, spaces after the colon
// skipped), so that what counts as "has Nats-Msg-Id" is the same.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringnats::js {

inline std::string_view header_value(std::string_view hdr, std::string_view key) {
  size_t at = hdr.find(key);
  if (at == std::string_view::npos || at < 2 || hdr[at - 1] != '\n' || hdr[at - 2] != '\r') return {};
  at += key.size();
  if (at >= hdr.size() || hdr[at] != ':') return {};
  ++at;
  while (at < hdr.size() && hdr[at] == ' ') ++at;
  size_t end = hdr.find("\r\n", at);
  return hdr.substr(at, (end == std::string_view::npos ? hdr.size() : end) - at);
}

// nats' parseInt64 of a header value: digits only, else -1. Too many digits
// wrap around as Go's int64 does (unsigned arithmetic here: signed overflow
// is undefined in C++), so a huge expected sequence compares as stock's does.
inline int64_t header_int(std::string_view v) {
  if (v.empty()) return -1;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + uint64_t(c - '0');
  }
  return static_cast<int64_t>(n);
}

// A header block with `key: value` added before its final blank line (or a
// new block holding only it).
inline std::string with_header(std::string_view hdr, std::string_view key, std::string_view value) {
  std::string out;
  if (hdr.size() >= 4 && hdr.substr(hdr.size() - 4) == "\r\n\r\n") out.assign(hdr.substr(0, hdr.size() - 2));
  else out = "NATS/1.0\r\n";
  out.append(key).append(": ").append(value).append("\r\n\r\n");
  return out;
}

}  // namespace ringnats::js
