// Reading fields of a client's JSON without exceptions: nlohmann's value()
// throws when a field has another type, and an exception escaping a shard
// would take the server down. A wrong type clears `ok` (the request is then
// answered as nats answers invalid JSON); a missing field is the default.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace ringnats::js {

inline int64_t json_i64(const nlohmann::json& j, const char* key, int64_t dflt, bool& ok) {
  if (!j.is_object()) return dflt;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    ok = false;
    return dflt;
  }
  if (!it->is_number_integer()) {
    ok = false;
    return dflt;
  }
  return it->get<int64_t>();
}

inline uint64_t json_u64(const nlohmann::json& j, const char* key, bool& ok) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  if (!it->is_number_unsigned()) {
    // Go: a negative number, a fraction or a string is no uint64.
    if (!(it->is_number_integer() && it->get<int64_t>() >= 0)) ok = false;
    return ok ? it->get<uint64_t>() : 0;
  }
  return it->get<uint64_t>();
}

inline std::string json_str(const nlohmann::json& j, const char* key, bool& ok) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) {
    ok = false;
    return {};
  }
  return it->get<std::string>();
}

// Go's encoding/json decoding a field into a typed struct member: null
// leaves it, another JSON type (or an int64 overflow, or an enum string it
// does not know) clears `ok`, which the caller answers as invalid JSON.
struct GoDecode {
  bool ok = true;
  void i64(const nlohmann::json& v, int64_t& out) {
    // Go refuses a fraction, an exponent or a value past int64 here.
    if (v.is_null()) return;
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) ok = false;
    else if (v.is_number_integer()) out = v.get<int64_t>();
    else ok = false;
  }
  void str(const nlohmann::json& v, std::string& out) {
    if (v.is_null()) return;
    if (v.is_string()) out = v.get<std::string>();
    else ok = false;
  }
  void boolean(const nlohmann::json& v, bool& out) {
    if (v.is_null()) return;
    if (v.is_boolean()) out = v.get<bool>();
    else ok = false;
  }
  template <class E>
  void enumerated(const nlohmann::json& v, E& out, std::initializer_list<std::pair<const char*, E>> names) {
    if (v.is_null()) return;
    if (!v.is_string()) {
      ok = false;
      return;
    }
    std::string s = v.get<std::string>();
    for (auto& [n, e] : names)
      if (s == n) {
        out = e;
        return;
      }
    ok = false;
  }
};

// A client's JSON as Go's encoding/json reads it: invalid UTF-8 becomes
// U+FFFD (Go replaces, nlohmann would refuse), and nesting past Go's limit
// of 10000 is invalid. Discarded (is_discarded()) when it does not parse.
nlohmann::json parse_client_json(std::string_view body);

inline bool json_bool(const nlohmann::json& j, const char* key, bool dflt, bool& ok) {
  if (!j.is_object()) return dflt;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) {
    ok = false;
    return dflt;
  }
  return it->get<bool>();
}

}  // namespace ringnats::js
