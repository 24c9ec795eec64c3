// Go-compatible text formats (see go_format.h). Written from Go's documented
// behaviour and observed output of nats-server 2.9.10.
#include "monitor/go_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "proto/json.h"

namespace ringnats::monitor {

namespace {

constexpr int64_t kUs = 1000, kMs = 1000 * kUs, kSec = 1000 * kMs;



void json_value(std::string& out, const Json& v, bool indent, int depth) {
  auto newline = [&](int d) {
    if (!indent) return;
    out += '\n';
    out.append(size_t(2 * d), ' ');
  };
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<uint64_t>()); break;
    case Json::value_t::number_float: out += go_float(v.get<double>()); break;
    case Json::value_t::string: proto::json_append_string(out, v.get_ref<const std::string&>()); break;
    case Json::value_t::array: {
      if (v.empty()) { out += "[]"; break; }
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        json_value(out, e, indent, depth + 1);
      }
      newline(depth);
      out += ']';
      break;
    }
    case Json::value_t::object: {
      if (v.empty()) { out += "{}"; break; }
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        proto::json_append_string(out, k);
        out += indent ? ": " : ":";
        json_value(out, e, indent, depth + 1);
      }
      newline(depth);
      out += '}';
      break;
    }
    default: out += "null"; break;  // binary, discarded: never produced here
  }
}

std::string parse_error(const char* fn, std::string_view s, bool range) {
  return std::string("strconv.") + fn + ": parsing " + go_quote(s) +
         (range ? ": value out of range" : ": invalid syntax");
}

}  // namespace

std::string go_time(int64_t unix_ns, bool utc) {
  if (unix_ns == 0) return "0001-01-01T00:00:00Z";
  int64_t secs = unix_ns / kSec, nanos = unix_ns % kSec;
  if (nanos < 0) { nanos += kSec; --secs; }
  time_t t = time_t(secs);
  struct tm tm {};
  if (utc) gmtime_r(&t, &tm); else localtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (nanos) {
    std::snprintf(buf, sizeof buf, "%09lld", static_cast<long long>(nanos));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += '.';
    out += f;
  }
  long off = utc ? 0 : tm.tm_gmtoff;
  if (off == 0) {
    out += 'Z';
  } else {
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", sign, off / 3600, (off / 60) % 60);
    out += buf;
  }
  return out;
}


std::string nats_uptime(int64_t ns) {
  int64_t tsecs = ns / kSec, tmins = tsecs / 60, thrs = tmins / 60, tdays = thrs / 24,
          tyrs = tdays / 365;
  char buf[96];
  if (tyrs > 0)
    std::snprintf(buf, sizeof buf, "%lldy%lldd%lldh%lldm%llds", (long long)tyrs,
                  (long long)(tdays % 365), (long long)(thrs % 24), (long long)(tmins % 60),
                  (long long)(tsecs % 60));
  else if (tdays > 0)
    std::snprintf(buf, sizeof buf, "%lldd%lldh%lldm%llds", (long long)tdays,
                  (long long)(thrs % 24), (long long)(tmins % 60), (long long)(tsecs % 60));
  else if (thrs > 0)
    std::snprintf(buf, sizeof buf, "%lldh%lldm%llds", (long long)thrs, (long long)(tmins % 60),
                  (long long)(tsecs % 60));
  else if (tmins > 0)
    std::snprintf(buf, sizeof buf, "%lldm%llds", (long long)tmins, (long long)(tsecs % 60));
  else
    std::snprintf(buf, sizeof buf, "%llds", (long long)tsecs);
  return buf;
}

std::string nats_rtt(int64_t ns) {
  if (ns > kUs && ns < kMs) ns -= ns % kUs;
  return go_duration(ns);
}

std::optional<bool> go_parse_bool(std::string_view s, std::string& err) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") return false;
  err = parse_error("ParseBool", s, false);
  return std::nullopt;
}

std::optional<int64_t> go_atoi(std::string_view s, std::string& err) {
  std::string_view d = s;
  bool neg = false;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) { neg = d[0] == '-'; d.remove_prefix(1); }
  if (d.empty()) { err = parse_error("Atoi", s, false); return std::nullopt; }
  uint64_t v = 0;
  const uint64_t limit = neg ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
  for (char c : d) {
    if (c < '0' || c > '9') { err = parse_error("Atoi", s, false); return std::nullopt; }
    if (v > (limit - uint64_t(c - '0')) / 10) { err = parse_error("Atoi", s, true); return std::nullopt; }
    v = v * 10 + uint64_t(c - '0');
  }
  return neg ? int64_t(0 - v) : int64_t(v);
}

std::optional<uint64_t> go_parse_uint(std::string_view s, std::string& err) {
  if (s.empty()) { err = parse_error("ParseUint", s, false); return std::nullopt; }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') { err = parse_error("ParseUint", s, false); return std::nullopt; }
    if (v > (UINT64_MAX - uint64_t(c - '0')) / 10) { err = parse_error("ParseUint", s, true); return std::nullopt; }
    v = v * 10 + uint64_t(c - '0');
  }
  return v;
}

std::string go_float(double f) {
  if (!std::isfinite(f)) return "0";  // Go refuses these; never produced here
  double a = std::fabs(f);
  bool sci = a != 0 && (a < 1e-6 || a >= 1e21);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f,
                         sci ? std::chars_format::scientific : std::chars_format::fixed);
  std::string out(buf, r.ptr);
  if (sci) {  // Go writes e-07 as e-7
    size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0')
      out.erase(n - 2, 1);
  }
  return out;
}

std::string go_json(const Json& v, bool indent) {
  std::string out;
  json_value(out, v, indent, 0);
  return out;
}

}  // namespace ringnats::monitor
