// Parses one server op per call: find the control line, split its arguments,
// then jump over the declared payload length. Cheap enough to re-run on the
// rare op that straddles two reads, which keeps the parser stateless.

#include "bench/client/server_parser.h"

#include <cstring>

namespace ringnats::bench {

namespace {

inline bool is_sep(char c) { return c == ' ' || c == '\t'; }

inline char up(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// Splits args on runs of spaces/tabs; returns count (at most max).
size_t split_args(std::string_view s, std::string_view* out, size_t max) {
  size_t n = 0, i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_sep(s[i])) ++i;
    if (i >= s.size()) break;
    size_t j = i;
    while (j < s.size() && !is_sep(s[j])) ++j;
    if (n == max) return max + 1;
    out[n++] = s.substr(i, j - i);
    i = j;
  }
  return n;
}

bool parse_size(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 10) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

ParseResult parse_server_op(const char* p, size_t n, ServerEvent& ev) {
  const char* nl = static_cast<const char*>(memchr(p, '\n', n));
  if (nl == nullptr) {
    if (n > kMaxServerLine) return {ParseStatus::Error, 0, 0};
    return {ParseStatus::NeedMore, 0, 0};
  }
  const size_t line_total = static_cast<size_t>(nl - p) + 1;
  size_t line_len = line_total - 1;
  if (line_len > 0 && p[line_len - 1] == '\r') --line_len;
  std::string_view line(p, line_len);
  if (line.size() < 2) return {ParseStatus::Error, 0, 0};

  const char c0 = up(line[0]);
  if (c0 == 'M' || (c0 == 'H' && line.size() > 1 && up(line[1]) == 'M')) {
    const bool hdr = c0 == 'H';
    const size_t oplen = hdr ? 4 : 3;
    if (line.size() <= oplen || !is_sep(line[oplen])) return {ParseStatus::Error, 0, 0};
    std::string_view a[6];
    const size_t na = split_args(line.substr(oplen), a, 5);
    uint64_t hsize = 0, total = 0;
    ev = ServerEvent{};
    ev.op = ServerOp::Msg;
    if (!hdr) {
      if (na != 3 && na != 4) return {ParseStatus::Error, 0, 0};
      if (!parse_size(a[na - 1], total)) return {ParseStatus::Error, 0, 0};
      if (na == 4) ev.reply = a[2];
    } else {
      if (na != 4 && na != 5) return {ParseStatus::Error, 0, 0};
      if (!parse_size(a[na - 2], hsize) || !parse_size(a[na - 1], total) || hsize > total)
        return {ParseStatus::Error, 0, 0};
      if (na == 5) ev.reply = a[2];
    }
    ev.subject = a[0];
    ev.sid = a[1];
    uint64_t sn = 0;
    if (parse_size(a[1], sn)) ev.sid_num = sn;
    const size_t need = line_total + static_cast<size_t>(total) + 2;
    if (n < need) return {ParseStatus::NeedMore, 0, need};
    const char* body = p + line_total;
    ev.headers = std::string_view(body, static_cast<size_t>(hsize));
    ev.payload = std::string_view(body + hsize, static_cast<size_t>(total - hsize));
    // The server always terminates payloads with CRLF; anything else means
    // we lost framing, which for a benchmark is fatal.
    if (body[total] != '\r' || body[total + 1] != '\n') return {ParseStatus::Error, 0, 0};
    return {ParseStatus::Done, need, 0};
  }

  ev = ServerEvent{};
  const char c1 = up(line[1]);
  if (c0 == 'P' && c1 == 'I') {
    ev.op = ServerOp::Ping;
  } else if (c0 == 'P' && c1 == 'O') {
    ev.op = ServerOp::Pong;
  } else if (c0 == '+') {
    ev.op = ServerOp::Ok;
  } else if (c0 == '-') {
    ev.op = ServerOp::Err;
    std::string_view t = line.size() > 4 ? line.substr(4) : std::string_view();
    while (!t.empty() && is_sep(t.front())) t.remove_prefix(1);
    if (t.size() >= 2 && t.front() == '\'' && t.back() == '\'') t = t.substr(1, t.size() - 2);
    ev.text = t;
  } else if (c0 == 'I' && c1 == 'N') {
    ev.op = ServerOp::Info;
    std::string_view t = line.size() > 4 ? line.substr(4) : std::string_view();
    while (!t.empty() && is_sep(t.front())) t.remove_prefix(1);
    while (!t.empty() && is_sep(t.back())) t.remove_suffix(1);
    ev.text = t;
  } else {
    return {ParseStatus::Error, 0, 0};
  }
  return {ParseStatus::Done, line_total, 0};
}

}  // namespace ringnats::bench
