// Text as Go's standard library spells it, for the messages nats-server
// prints and ours must match byte for byte: an errno ("address already in
// use"), host:port (IPv6 in brackets), and os.PathError ("open /x: ...").
#pragma once

#include <cctype>
#include <cstring>
#include <string>

namespace ringnats {

// strerror's text with the first letter lowered, as Go's syscall.Errno.
inline std::string go_errno_text(int e) {
  std::string s = std::strerror(e);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// net.JoinHostPort.
inline std::string go_join_host_port(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

// os.PathError: "<op> <path>: <errno text>".
inline std::string go_path_error(const char* op, const std::string& path, int e) {
  return std::string(op) + " " + path + ": " + go_errno_text(e);
}

}  // namespace ringnats
