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
