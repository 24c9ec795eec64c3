// DN parsing and comparison (see dn.h), following nats' internal/ldap
// step for step, including what it accepts that RFC 4514 would not.
#include "auth/dn.h"

namespace ringnats::auth {

namespace {

using Attr = std::pair<std::string, std::string>;
using Rdn = std::vector<Attr>;

bool equal_fold_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool attr_equal(const Attr& a, const Attr& b) { return equal_fold_ascii(a.first, b.first) && a.second == b.second; }

bool has_all(const Rdn& mine, const Rdn& theirs) {
  for (const Attr& t : theirs) {
    bool found = false;
    for (const Attr& m : mine) found = found || attr_equal(m, t);
    if (!found) return false;
  }
  return true;
}

bool rdn_equal(const Rdn& a, const Rdn& b) { return a.size() == b.size() && has_all(a, b) && has_all(b, a); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char* type_name(std::string_view oid) {
  static constexpr std::pair<std::string_view, const char*> kNames[] = {
      {"2.5.4.3", "CN"},  {"2.5.4.5", "SERIALNUMBER"}, {"2.5.4.6", "C"},  {"2.5.4.7", "L"},
      {"2.5.4.8", "ST"},  {"2.5.4.9", "STREET"},       {"2.5.4.10", "O"}, {"2.5.4.11", "OU"},
      {"2.5.4.17", "POSTALCODE"}, {"0.9.2342.19200300.100.1.25", "DC"}};
  for (const auto& [o, n] : kNames)
    if (o == oid) return n;
  return nullptr;
}

}  // namespace

std::optional<Dn> parse_dn(std::string_view str) {
  Dn dn;
  Rdn rdn;
  Attr attr;
  std::string buf;
  bool escaping = false;
  size_t trailing_spaces = 0;  // unescaped ones at the end of buf
  auto take = [&] {
    std::string s = buf.substr(0, buf.size() - trailing_spaces);
    buf.clear();
    trailing_spaces = 0;
    return s;
  };
  for (size_t i = 0; i < str.size(); ++i) {
    char c = str[i];
    if (escaping) {
      trailing_spaces = 0;
      escaping = false;
      switch (c) {
        case ' ': case '"': case '#': case '+': case ',': case ';': case '<': case '=': case '>': case '\\':
          buf.push_back(c);
          continue;
        default:
          break;
      }
      if (i + 1 == str.size()) return std::nullopt;  // a lone hex digit
      int hi = hex_digit(c), lo = hex_digit(str[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      buf.push_back(static_cast<char>(hi << 4 | lo));
      ++i;
    } else if (c == '\\') {
      trailing_spaces = 0;
      escaping = true;
    } else if (c == '=') {
      attr.first = take();
      if (i + 1 < str.size() && str[i + 1] == '#') return std::nullopt;  // BER values: unsupported
    } else if (c == ',' || c == '+') {
      if (attr.first.empty()) return std::nullopt;
      attr.second = take();
      rdn.push_back(std::move(attr));
      attr = Attr{};
      if (c == ',') {
        dn.rdns.push_back(std::move(rdn));
        rdn.clear();
      }
    } else if (c == ' ' && buf.empty()) {
      continue;
    } else {
      trailing_spaces = c == ' ' ? trailing_spaces + 1 : 0;
      buf.push_back(c);
    }
  }
  if (!buf.empty()) {
    if (attr.first.empty()) return std::nullopt;
    attr.second = take();
    rdn.push_back(std::move(attr));
    dn.rdns.push_back(std::move(rdn));
  }
  return dn;
}

std::optional<Dn> dn_from_subject(const RawSubject& subject) {
  Dn dn;
  for (size_t i = subject.size(); i-- > 0;) {
    const auto& set = subject[i];
    if (set.empty()) continue;
    Rdn rdn;
    for (size_t j = set.size(); j-- > 0;) {
      const char* name = type_name(set[j].oid);
      if (!name || !set[j].is_string) return std::nullopt;
      rdn.emplace_back(name, set[j].value);
    }
    dn.rdns.push_back(std::move(rdn));
  }
  return dn;
}

bool dn_equal(const Dn& a, const Dn& b) {
  if (a.rdns.size() != b.rdns.size()) return false;
  for (size_t i = 0; i < a.rdns.size(); ++i)
    if (!rdn_equal(a.rdns[i], b.rdns[i])) return false;
  return true;
}

bool dn_rdns_match(const Dn& a, const Dn& b) {
  if (a.rdns.size() != b.rdns.size()) return false;
  for (const Rdn& x : a.rdns) {
    bool found = false;
    for (const Rdn& y : b.rdns) found = found || rdn_equal(x, y);
    if (!found) return false;
  }
  return true;
}

}  // namespace ringnats::auth
