// Helpers every config-block parser shares (apply_config.cc, and the
// security blocks in users_config.cc, accounts_config.cc, tls_config.cc):
// the error sink and nats' typed getters with their exact error texts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "config/conf.h"
#include "config/go_compat.h"
#include "config/options.h"

namespace ringnats::confparse {

using conf::ConfKind;
using conf::ConfValue;
using conf::go_quote;

struct Sink {
  std::vector<std::string>& errors;
  std::vector<std::string>& warnings;
  std::vector<std::string>& ignored;
  // A wrong value type aborts the enclosing block in nats (a recovered Go
  // panic); the block parsers check this to stop where nats stops.
  bool aborted = false;
};

// Go's %v of the scalars nats prints in "got %v".
inline std::string go_value(const ConfValue& v) {
  switch (v.kind) {
    case ConfKind::Int: return std::to_string(v.i);
    case ConfKind::String: return v.str;
    case ConfKind::Bool: return v.b ? "true" : "false";
    case ConfKind::Float: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", v.f);
      return buf;
    }
    default: return v.go_type();
  }
}

inline void type_error(const ConfValue& v, const char* want, Sink& s) {
  s.errors.push_back(v.where() + ": interface conversion: interface {} is " + v.go_type() + ", not " + want);
  s.aborted = true;
}

// What nats adds when a failed authorization block is then dereferenced.
inline void nil_auth_error(const ConfValue& v, Sink& s) {
  s.errors.push_back(v.where() + ": runtime error: invalid memory address or nil pointer dereference");
}

inline bool get_int(const ConfValue& v, int64_t& out, Sink& s) {
  if (v.kind != ConfKind::Int) {
    type_error(v, "int64", s);
    return false;
  }
  out = v.i;
  return true;
}
inline bool get_str(const ConfValue& v, std::string& out, Sink& s) {
  if (v.kind != ConfKind::String) {
    type_error(v, "string", s);
    return false;
  }
  out = v.str;
  return true;
}
inline bool get_bool(const ConfValue& v, bool& out, Sink& s) {
  if (v.kind != ConfKind::Bool) {
    type_error(v, "bool", s);
    return false;
  }
  out = v.b;
  return true;
}
template <typename T>
inline void set_int(const ConfValue& v, T& field, Sink& s) {
  int64_t n;
  if (get_int(v, n, s)) field = static_cast<T>(n);
}

inline void unknown_field(const std::string& key, const ConfValue& v, Sink& s) {
  if (v.used_as_variable) return;  // defined to be referenced as $key
  s.errors.push_back(v.where() + ": unknown field " + go_quote(key));
}

// A duration field: a Go duration string, or (with a warning, as nats) a
// number of seconds.
void parse_duration_field(const std::string& field, const ConfValue& v, int64_t& out, Sink& s);

}  // namespace ringnats::confparse
