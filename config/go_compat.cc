// The pieces of Go's standard library whose behaviour shows in nats-server's
// messages (net.SplitHostPort, url.Parse, strconv), so flags and config values
// are accepted, rejected and reported exactly as nats-server 2.9 does.
#include "config/go_compat.h"

namespace ringnats::golang {
namespace {

bool host_char_ok(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) return true;
  switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
    case ';': case '=': case ':': case '[': case ']': case '<': case '>': case '"': case '-':
    case '.': case '_': case '~': case '%':
      return true;
    default:
      return false;
  }
}

bool valid_optional_port(std::string_view p) {
  if (p.empty()) return true;
  if (p[0] != ':') return false;
  for (char c : p.substr(1))
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r' || s[b] == '\v' || s[b] == '\f')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r' ||
                   s[e - 1] == '\v' || s[e - 1] == '\f'))
    --e;
  return std::string(s.substr(b, e - b));
}

// net.SplitHostPort, with Go's error texts.
bool split_host_port(const std::string& hp, std::string& host, std::string& port, std::string& err) {
  auto fail = [&](const char* why) {
    err = hp.empty() ? std::string(why) : "address " + hp + ": " + why;
    return false;
  };
  size_t i = hp.rfind(':');
  if (i == std::string::npos) return fail("missing port in address");
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string::npos) return fail("missing ']' in address");
    if (end + 1 == hp.size()) return fail("missing port in address");
    if (end + 1 != i) return fail(hp[end + 1] == ':' ? "too many colons in address" : "missing port in address");
    host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    host = hp.substr(0, i);
    if (host.find(':') != std::string::npos) return fail("too many colons in address");
  }
  if (hp.find('[', j) != std::string::npos) return fail("unexpected '[' in address");
  if (hp.find(']', k) != std::string::npos) return fail("unexpected ']' in address");
  port = hp.substr(i + 1);
  return true;
}

bool parse_go_url(const std::string& raw, GoUrl& u, std::string& err) {
  auto fail = [&](const std::string& why) {
    err = "parse " + conf::go_quote(raw) + ": " + why;
    return false;
  };
  for (unsigned char c : raw)
    if (c < 0x20 || c == 0x7f) return fail("net/url: invalid control character in URL");
  std::string rest = raw.substr(0, raw.find('#'));
  // Scheme: a letter, then letters, digits, '+', '-', '.', ended by ':'.
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (alpha) continue;
    if (other && i > 0) continue;
    if (c == ':') {
      if (i == 0) return fail("missing protocol scheme");
      u.scheme = lower(rest.substr(0, i));
      rest = rest.substr(i + 1);
    }
    break;
  }
  size_t q = rest.find('?');
  if (q != std::string::npos) rest.resize(q);
  if (rest.empty() || rest[0] != '/') {
    if (!u.scheme.empty()) return true;  // opaque, like "host:port": no host
    size_t colon = rest.find(':');
    if (colon != std::string::npos && colon < rest.find('/'))
      return fail("first path segment in URL cannot contain colon");
    return true;
  }
  if (rest.rfind("//", 0) != 0) return true;
  std::string authority = rest.substr(2);
  authority = authority.substr(0, authority.find('/'));
  size_t at = authority.rfind('@');
  std::string hostpart = authority;
  if (at != std::string::npos) {
    std::string info = authority.substr(0, at);
    hostpart = authority.substr(at + 1);
    u.has_user = true;
    size_t colon = info.find(':');
    if (colon == std::string::npos) {
      u.user = info;
    } else {
      u.user = info.substr(0, colon);
      u.password = info.substr(colon + 1);
      u.has_password = true;
    }
  }
  if (!hostpart.empty() && hostpart[0] == '[') {
    size_t close = hostpart.rfind(']');
    if (close == std::string::npos) return fail("missing ']' in host");
    std::string colon_port = hostpart.substr(close + 1);
    if (!valid_optional_port(colon_port)) return fail("invalid port " + conf::go_quote(colon_port) + " after host");
  } else {
    size_t colon = hostpart.rfind(':');
    if (colon != std::string::npos) {
      std::string colon_port = hostpart.substr(colon);
      if (!valid_optional_port(colon_port)) return fail("invalid port " + conf::go_quote(colon_port) + " after host");
    }
  }
  for (unsigned char c : hostpart)
    if (!host_char_ok(c))
      return fail("invalid character " + conf::go_quote(std::string(1, static_cast<char>(c))) + " in host name");
  u.host = hostpart;
  return true;
}

// strconv.ParseInt(s, 0, 64) as Go's flag package uses it.
IntErr parse_go_int(std::string_view s, int64_t& out) {
  if (s.empty()) return IntErr::Syntax;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16;
    else if (p == 'o') base = 8;
    else if (p == 'b') base = 2;
    if (base != 10) {
      s.remove_prefix(2);
      prefixed = true;
    } else {
      base = 8;
      prefixed = true;
    }
  }
  if (s.empty()) return IntErr::Syntax;
  unsigned __int128 v = 0;
  bool any = false, last_us = prefixed && base != 8;  // "0x_1" is fine, "0x1__2" is not
  bool range = false;
  for (char c : s) {
    if (c == '_') {
      if (!prefixed || last_us) return IntErr::Syntax;
      last_us = true;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return IntErr::Syntax;
    if (d >= base) return IntErr::Syntax;
    last_us = false;
    any = true;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > (static_cast<unsigned __int128>(1) << 64)) range = true, v = static_cast<unsigned __int128>(1) << 64;
  }
  if (!any || last_us) return IntErr::Syntax;
  unsigned __int128 lim = static_cast<unsigned __int128>(1) << 63;
  if (range || (!neg && v >= lim) || (neg && v > lim)) return IntErr::Range;
  out = neg ? static_cast<int64_t>(0 - static_cast<uint64_t>(v)) : static_cast<int64_t>(v);
  return IntErr::Ok;
}

// strconv.Atoi: optional sign and decimal digits only.
IntErr parse_decimal(std::string_view s, int64_t& out) {
  std::string_view d = s;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) d.remove_prefix(1);
  if (d.empty()) return IntErr::Syntax;
  for (char c : d)
    if (c < '0' || c > '9') return IntErr::Syntax;
  while (d.size() > 1 && d[0] == '0') d.remove_prefix(1);
  std::string norm(s[0] == '-' ? "-" : "");
  norm.append(d);
  return parse_go_int(norm, out);
}

// strconv.ParseBool, which Go's flag package uses for -flag=value.
bool parse_go_bool(std::string_view s, bool& out) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") {
    out = true;
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace ringnats::golang
