// An errno as Go's syscall package spells it ("address already in use"):
// nats-server's messages carry that text, so ours must too. It is strerror's
// with the first letter lowered, for the errors a socket meets.
#pragma once

#include <cctype>
#include <cstring>
#include <string>

namespace ringnats {

inline std::string go_errno_text(int e) {
  std::string s = std::strerror(e);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace ringnats
