// Subject and argument rules shared by every connection kind: token checks as
// nats-server applies them (SUB validity, pedantic PUB validity), the size
// field parser, and whitespace argument splitting that returns views.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringnats::proto {

// A SUB subject: non-empty tokens, '>' only as the last token.
bool valid_subscribe_subject(std::string_view s);
// A PUB subject in pedantic mode: non-empty tokens and no wildcard tokens.
bool valid_literal_subject(std::string_view s);
// True when some token is exactly "*" or ">".
bool has_wildcard(std::string_view s);

// Does a literal `subject` match `pattern` (which may hold '*' and '>')?
bool subject_matches(std::string_view pattern, std::string_view subject);
// Could some subject match both patterns (nats' SubjectsCollide)?
bool subjects_collide(std::string_view a, std::string_view b);
// Is every subject `sub` (a pattern) can match also matched by `of`?
bool subject_is_subset(std::string_view sub, std::string_view of);

// 1 to 9 ASCII digits, else -1 (nats-server's parseSize).
inline int64_t parse_size(std::string_view d) {
  if (d.empty() || d.size() > 9) return -1;
  int64_t n = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

inline bool is_arg_space(char c) { return c == ' ' || c == '\t'; }

// Splits on runs of spaces/tabs (and CR/LF when `crlf_too`). Returns the
// number of tokens found; at most N are stored, a larger count is still
// returned so callers can reject it.
template <size_t N>
size_t split_args(std::string_view arg, std::array<std::string_view, N>& out,
                  bool crlf_too = false) {
  size_t n = 0, i = 0, len = arg.size();
  const char* p = arg.data();
  while (i < len) {
    while (i < len && (is_arg_space(p[i]) || (crlf_too && (p[i] == '\r' || p[i] == '\n')))) ++i;
    if (i >= len) break;
    size_t start = i;
    while (i < len && !(is_arg_space(p[i]) || (crlf_too && (p[i] == '\r' || p[i] == '\n')))) ++i;
    if (n < N) out[n] = std::string_view(p + start, i - start);
    ++n;
  }
  return n;
}

}  // namespace ringnats::proto
