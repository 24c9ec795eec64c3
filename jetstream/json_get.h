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
