// JSON validation, Go-compatible typed decoding and Go-compatible encoding.
// Validation runs first over the whole input (as Go does), so the decoder
// below may trust the syntax and only checks types.
#include "proto/json.h"

#include <cstring>

namespace ringnats::proto {
namespace {

constexpr size_t kMaxDepth = 10000;  // Go's scanner nesting limit

inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline void skip_ws(const char*& p, const char* end) {
  while (p < end && is_ws(*p)) ++p;
}

// p at the opening quote; on success p is past the closing quote.
bool scan_string(const char*& p, const char* end) {
  ++p;
  while (p < end) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') {
      ++p;
      return true;
    }
    if (c < 0x20) return false;
    if (c == '\\') {
      if (++p >= end) return false;
      switch (*p) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          ++p;
          break;
        case 'u':
          if (end - p < 5) return false;
          for (int i = 1; i <= 4; ++i)
            if (hex_val(p[i]) < 0) return false;
          p += 5;
          break;
        default:
          return false;
      }
      continue;
    }
    ++p;
  }
  return false;
}

bool scan_number(const char*& p, const char* end) {
  if (p < end && *p == '-') ++p;
  if (p >= end) return false;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (p < end && is_digit(*p)) ++p;
  } else {
    return false;
  }
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || !is_digit(*p)) return false;
    while (p < end && is_digit(*p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !is_digit(*p)) return false;
    while (p < end && is_digit(*p)) ++p;
  }
  return true;
}

bool scan_literal(const char*& p, const char* end, std::string_view word) {
  if (static_cast<size_t>(end - p) < word.size() || std::memcmp(p, word.data(), word.size()) != 0)
    return false;
  p += word.size();
  return true;
}

// Go's utf8.DecodeRune: on invalid input returns 0xFFFD with size 1.
uint32_t decode_rune(const unsigned char* s, size_t n, size_t& size) {
  size = 1;
  unsigned char b0 = s[0];
  if (b0 < 0x80) return b0;
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) { return i < n && s[i] >= lo && s[i] <= hi; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1, 0x80, 0xBF)) return 0xFFFD;
    size = 2;
    return (uint32_t(b0 & 0x1F) << 6) | (s[1] & 0x3F);
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF)) return 0xFFFD;
    size = 3;
    return (uint32_t(b0 & 0x0F) << 12) | (uint32_t(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF) || !cont(3, 0x80, 0xBF)) return 0xFFFD;
    size = 4;
    return (uint32_t(b0 & 0x07) << 18) | (uint32_t(s[1] & 0x3F) << 12) | (uint32_t(s[2] & 0x3F) << 6) |
           (s[3] & 0x3F);
  }
  return 0xFFFD;
}

void append_utf8(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// Four hex digits after "\u" at s[i..]; -1 when absent.
int32_t read_u4(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  int32_t v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int h = hex_val(s[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Trusting skip over one value of already-validated JSON.
void skip_value(const char*& p, const char* end) {
  if (*p == '"') {
    scan_string(p, end);
    return;
  }
  if (*p == '{' || *p == '[') {
    size_t depth = 0;
    while (p < end) {
      char c = *p;
      if (c == '"') {
        scan_string(p, end);
        continue;
      }
      ++p;
      if (c == '{' || c == '[') ++depth;
      else if ((c == '}' || c == ']') && --depth == 0) return;
    }
    return;
  }
  while (p < end && *p != ',' && *p != '}' && *p != ']' && !is_ws(*p)) ++p;
}

std::string_view take_value(const char*& p, const char* end) {
  const char* s = p;
  skip_value(p, end);
  return std::string_view(s, static_cast<size_t>(p - s));
}

// strconv.ParseInt(s, 10, 64) followed by a range check.
bool parse_signed(std::string_view s, int64_t lo, int64_t hi, int64_t& out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + uint64_t(c - '0');
  }
  if (neg) {
    if (v > uint64_t(INT64_MAX) + 1) return false;
    out = v == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -static_cast<int64_t>(v);
  } else {
    if (v > uint64_t(INT64_MAX)) return false;
    out = static_cast<int64_t>(v);
  }
  return out >= lo && out <= hi;
}

// strconv.ParseUint(s, 10, 64) followed by a range check; no sign allowed.
bool parse_unsigned(std::string_view s, uint64_t hi, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return v <= hi;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// base64.StdEncoding.Decode: padded, CR/LF ignored.
bool b64_decode(std::string_view in, std::string& out) {
  std::string s;
  s.reserve(in.size());
  for (char c : in)
    if (c != '\r' && c != '\n') s += c;
  out.clear();
  if (s.size() % 4 != 0) return false;
  for (size_t i = 0; i < s.size(); i += 4) {
    bool last = i + 4 == s.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad) return false;  // data after padding
      v[k] = b64_val(c);
      if (v[k] < 0) return false;
    }
    if (pad == 1 && s[i + 3] != '=') return false;
    uint32_t n = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return true;
}

void b64_encode(std::string_view in, std::string& out) {
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += kB64[n >> 18];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  size_t rest = in.size() - i;
  if (rest == 0) return;
  uint32_t n = uint32_t(uint8_t(in[i])) << 16;
  if (rest == 2) n |= uint32_t(uint8_t(in[i + 1])) << 8;
  out += kB64[n >> 18];
  out += kB64[(n >> 12) & 63];
  out += rest == 2 ? kB64[(n >> 6) & 63] : '=';
  out += '=';
}

struct Decoder {
  const char* p;
  const char* end;
  bool type_err = false;
  std::string scratch;

  void members(const JsonField* fields, size_t n);
  void value(const JsonDest& dest) {
    std::visit(
        [this](auto&& alt) {
          if constexpr (std::is_same_v<std::decay_t<decltype(alt)>, std::monostate>) skip_value(p, end);
          else store(alt);
        },
        dest);
  }
  void store(bool* d);
  void store(std::string* d);
  void store(int64_t* d);
  void store(int32_t* d);
  void store(uint64_t* d);
  void store(uint8_t* d);
  void store(std::vector<std::string>* d);
  void store(JsonBytes* d);
  void store(std::optional<JsonPermission>* d);
};

void Decoder::store(bool* d) {
  char c = *p;
  std::string_view v = take_value(p, end);
  if (c == 't' || c == 'f') *d = v == "true";
  else if (c != 'n') type_err = true;
}

void Decoder::store(std::string* d) {
  char c = *p;
  std::string_view v = take_value(p, end);
  if (c == '"') json_unquote(v, *d);
  else if (c != 'n') type_err = true;
}

void Decoder::store(int64_t* d) {
  char c = *p;
  std::string_view v = take_value(p, end);
  if (c == 'n') return;
  int64_t x;
  if ((c == '-' || is_digit(c)) && parse_signed(v, INT64_MIN, INT64_MAX, x)) *d = x;
  else type_err = true;
}

void Decoder::store(int32_t* d) {
  char c = *p;
  std::string_view v = take_value(p, end);
  if (c == 'n') return;
  int64_t x;
  if ((c == '-' || is_digit(c)) && parse_signed(v, INT32_MIN, INT32_MAX, x)) *d = static_cast<int32_t>(x);
  else type_err = true;
}

void Decoder::store(uint64_t* d) {
  char c = *p;
  std::string_view v = take_value(p, end);
  if (c == 'n') return;
  uint64_t x;
  if (is_digit(c) && parse_unsigned(v, UINT64_MAX, x)) *d = x;
  else type_err = true;
}

void Decoder::store(uint8_t* d) {
  char c = *p;
  std::string_view v = take_value(p, end);
  if (c == 'n') return;
  uint64_t x;
  if (is_digit(c) && parse_unsigned(v, 255, x)) *d = static_cast<uint8_t>(x);
  else type_err = true;
}

void Decoder::store(std::vector<std::string>* d) {
  if (*p == 'n') {
    skip_value(p, end);
    d->clear();
    return;
  }
  if (*p != '[') {
    skip_value(p, end);
    type_err = true;
    return;
  }
  ++p;
  size_t i = 0;
  skip_ws(p, end);
  while (p < end && *p != ']') {
    // Go grows the slice in place, so a null element keeps an old value.
    if (i >= d->size()) d->emplace_back();
    store(&(*d)[i]);
    ++i;
    skip_ws(p, end);
    if (p < end && *p == ',') ++p;
    skip_ws(p, end);
  }
  ++p;
  d->resize(i);
}

void Decoder::store(JsonBytes* d) {
  char c = *p;
  if (c == '[') {  // Go also takes []byte as an array of small numbers
    ++p;
    std::string out;
    skip_ws(p, end);
    while (p < end && *p != ']') {
      uint8_t b = 0;
      store(&b);
      out += static_cast<char>(b);
      skip_ws(p, end);
      if (p < end && *p == ',') ++p;
      skip_ws(p, end);
    }
    ++p;
    d->data = std::move(out);
    return;
  }
  std::string_view v = take_value(p, end);
  if (c == 'n') {
    d->data.clear();
  } else if (c == '"') {
    json_unquote(v, scratch);
    std::string out;
    if (b64_decode(scratch, out)) d->data = std::move(out);
    else type_err = true;
  } else {
    type_err = true;
  }
}

void Decoder::store(std::optional<JsonPermission>* d) {
  if (*p == 'n') {
    skip_value(p, end);
    d->reset();
    return;
  }
  if (*p != '{') {
    skip_value(p, end);
    type_err = true;
    return;
  }
  if (!d->has_value()) d->emplace();
  JsonField f[] = {{"allow", &(*d)->allow}, {"deny", &(*d)->deny}};
  members(f, 2);
}

// p at '{'; on return p is past the matching '}'.
void Decoder::members(const JsonField* fields, size_t n) {
  ++p;
  std::string key;
  for (;;) {
    skip_ws(p, end);
    if (p >= end) return;
    if (*p == '}') {
      ++p;
      return;
    }
    if (*p == ',') {
      ++p;
      continue;
    }
    std::string_view lit = take_value(p, end);
    json_unquote(lit, key);
    skip_ws(p, end);
    ++p;  // ':'
    skip_ws(p, end);
    const JsonField* hit = nullptr;
    for (size_t i = 0; i < n && !hit; ++i)
      if (json_key_matches(key, fields[i].name)) hit = &fields[i];
    if (!hit) {
      skip_value(p, end);
      continue;
    }
    if (hit->seen) *hit->seen = true;
    value(hit->dest);
  }
}

}  // namespace

bool json_valid(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  std::string stack;  // '{' or '[' per open container
  skip_ws(p, end);
  for (;;) {
    // A value is expected at p.
    if (p >= end) return false;
    bool need_value = false;
    switch (*p) {
      case '{':
        ++p;
        stack += '{';
        if (stack.size() > kMaxDepth) return false;
        skip_ws(p, end);
        if (p < end && *p == '}') {
          ++p;
          stack.pop_back();
          break;
        }
        if (p >= end || *p != '"' || !scan_string(p, end)) return false;
        skip_ws(p, end);
        if (p >= end || *p != ':') return false;
        ++p;
        skip_ws(p, end);
        need_value = true;
        break;
      case '[':
        ++p;
        stack += '[';
        if (stack.size() > kMaxDepth) return false;
        skip_ws(p, end);
        if (p < end && *p == ']') {
          ++p;
          stack.pop_back();
          break;
        }
        need_value = true;
        break;
      case '"':
        if (!scan_string(p, end)) return false;
        break;
      case 't':
        if (!scan_literal(p, end, "true")) return false;
        break;
      case 'f':
        if (!scan_literal(p, end, "false")) return false;
        break;
      case 'n':
        if (!scan_literal(p, end, "null")) return false;
        break;
      default:
        if (*p != '-' && !is_digit(*p)) return false;
        if (!scan_number(p, end)) return false;
        break;
    }
    if (need_value) continue;
    // After a complete value: close containers or move to the next element.
    for (;;) {
      skip_ws(p, end);
      if (stack.empty()) return p == end;
      if (p >= end) return false;
      char top = stack.back();
      if ((top == '{' && *p == '}') || (top == '[' && *p == ']')) {
        ++p;
        stack.pop_back();
        continue;
      }
      if (*p != ',') return false;
      ++p;
      skip_ws(p, end);
      if (top == '{') {
        if (p >= end || *p != '"' || !scan_string(p, end)) return false;
        skip_ws(p, end);
        if (p >= end || *p != ':') return false;
        ++p;
        skip_ws(p, end);
      }
      break;
    }
  }
}

void json_unquote(std::string_view lit, std::string& out) {
  out.clear();
  if (lit.size() < 2) return;
  std::string_view s = lit.substr(1, lit.size() - 2);
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\' && i + 1 < s.size()) {
      char e = s[i + 1];
      switch (e) {
        case 'b': out += '\b'; i += 2; continue;
        case 'f': out += '\f'; i += 2; continue;
        case 'n': out += '\n'; i += 2; continue;
        case 'r': out += '\r'; i += 2; continue;
        case 't': out += '\t'; i += 2; continue;
        case 'u': {
          int32_t r = read_u4(s, i);
          if (r < 0) {  // cannot happen on validated input
            out += '\\';
            ++i;
            continue;
          }
          i += 6;
          if (r >= 0xD800 && r < 0xE000) {
            int32_t r2 = read_u4(s, i);
            if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
              i += 6;
              append_utf8(out, 0x10000 + ((uint32_t(r) - 0xD800) << 10) + (uint32_t(r2) - 0xDC00));
              continue;
            }
            r = 0xFFFD;
          }
          append_utf8(out, static_cast<uint32_t>(r));
          continue;
        }
        default:  // " \ /
          out += e;
          i += 2;
          continue;
      }
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t sz;
    uint32_t r = decode_rune(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i, sz);
    if (r == 0xFFFD && sz == 1) append_utf8(out, 0xFFFD);
    else out.append(s.data() + i, sz);
    i += sz;
  }
}

bool json_key_matches(std::string_view key, std::string_view name) {
  size_t k = 0;
  for (char want : name) {
    if (k >= key.size()) return false;
    char c = key[k];
    if (c == want || (want >= 'a' && want <= 'z' && c == want - 32)) {
      ++k;
      continue;
    }
    if (want == 's' && key.substr(k, 2) == "\xC5\xBF") {  // U+017F long s
      k += 2;
      continue;
    }
    if (want == 'k' && key.substr(k, 3) == "\xE2\x84\xAA") {  // U+212A Kelvin sign
      k += 3;
      continue;
    }
    return false;
  }
  return k == key.size();
}

JsonResult json_decode_object(std::string_view json, const JsonField* fields, size_t nfields) {
  if (!json_valid(json)) return {JsonError::Syntax};
  Decoder d{json.data(), json.data() + json.size(), false, {}};
  skip_ws(d.p, d.end);
  if (*d.p == 'n') return {};
  if (*d.p != '{') return {JsonError::Type};
  d.members(fields, nfields);
  return {d.type_err ? JsonError::Type : JsonError::None};
}

void json_append_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), start = 0, i = 0;
  auto flush = [&](size_t upto) {
    if (upto > start) out.append(s.data() + start, upto - start);
  };
  while (i < n) {
    unsigned char c = u[i];
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        ++i;
        continue;
      }
      flush(i);
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
      }
      start = ++i;
      continue;
    }
    size_t sz;
    uint32_t r = decode_rune(u + i, n - i, sz);
    if (r == 0xFFFD && sz == 1) {
      flush(i);
      out += "\\ufffd";
      start = ++i;
      continue;
    }
    if (r == 0x2028 || r == 0x2029) {
      flush(i);
      out += r == 0x2028 ? "\\u2028" : "\\u2029";
      i += sz;
      start = i;
      continue;
    }
    i += sz;
  }
  flush(n);
  out += '"';
}

void JsonWriter::field(std::string_view key, const std::vector<std::string>& v) {
  key_(key);
  buf_ += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) buf_ += ',';
    json_append_string(buf_, v[i]);
  }
  buf_ += ']';
}

void JsonWriter::field(std::string_view key, const JsonPermission& perm) {
  JsonWriter w;
  if (!perm.allow.empty()) w.field("allow", perm.allow);
  if (!perm.deny.empty()) w.field("deny", perm.deny);
  raw_field(key, w.finish());
}

void JsonWriter::field(std::string_view key, const JsonBytes& b) {
  key_(key);
  buf_ += '"';
  b64_encode(b.data, buf_);
  buf_ += '"';
}

void JsonWriter::append_int(int64_t v) {
  if (v < 0) {
    buf_ += '-';
    append_uint(v == INT64_MIN ? uint64_t(INT64_MAX) + 1 : uint64_t(-v));
    return;
  }
  append_uint(static_cast<uint64_t>(v));
}

void JsonWriter::append_uint(uint64_t v) {
  char tmp[20];
  int i = 20;
  do {
    tmp[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  buf_.append(tmp + i, static_cast<size_t>(20 - i));
}

std::string JsonWriter::finish() {
  if (first_) buf_ += '{';
  buf_ += '}';
  first_ = true;
  std::string out = std::move(buf_);
  buf_.clear();
  return out;
}

}  // namespace ringnats::proto
