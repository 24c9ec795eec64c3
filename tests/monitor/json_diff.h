// Shape comparison of two monitor answers (stock nats-server's and ours),
// shared by the monitor differential tests: key sets (recursively), key
// order and JSON value types must match, except where an allow-list says
// otherwise. Arrays are compared through their widest element, values never.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace jsondiff {

using Json = nlohmann::ordered_json;

struct Rules {
  // "<endpoint> <json path>" entries where nats and ringnats may differ (a
  // key missing or extra, a different type); "* <path>" matches every
  // endpoint. A path ends in "[]" for an array's elements.
  std::set<std::string> allowed;
  // Paths of maps whose keys are data, not schema: only their type counts.
  std::set<std::string> data_maps;
};

inline std::string kind(const Json& j) {
  if (j.is_number()) return "number";
  return j.type_name();
}

// The element of an array with the most keys (or the first), as its schema.
inline const Json& widest(const Json& a) {
  const Json* best = &a[0];
  for (const auto& e : a)
    if (e.is_object() && best->is_object() && e.size() > best->size()) best = &e;
  return *best;
}

inline bool allowed(const Rules& r, const std::string& ep, const std::string& path) {
  return r.allowed.count(ep + " " + path) || r.allowed.count("* " + path);
}

// Appends one line per difference between `want` (nats) and `got` (ours).
inline void compare(const std::string& ep, const Json& want, const Json& got, const std::string& path,
                    const Rules& rules, std::vector<std::string>& diffs) {
  if (kind(want) != kind(got)) {
    if (!allowed(rules, ep, path)) diffs.push_back(path + ": nats " + kind(want) + ", ours " + kind(got));
    return;
  }
  if (rules.data_maps.count(path)) return;
  if (want.is_object()) {
    std::vector<std::string> common_w, common_g;
    for (const auto& [k, v] : want.items()) {
      std::string p = path + "." + k;
      if (!got.contains(k)) {
        if (!allowed(rules, ep, p)) diffs.push_back(p + ": missing in ours");
        continue;
      }
      common_w.push_back(k);
      compare(ep, v, got[k], p, rules, diffs);
    }
    for (const auto& [k, v] : got.items()) {
      if (!want.contains(k)) {
        if (!allowed(rules, ep, path + "." + k)) diffs.push_back(path + "." + k + ": extra in ours");
      } else {
        common_g.push_back(k);
      }
    }
    if (common_w != common_g) diffs.push_back(path + ": key order differs");
  } else if (want.is_array() && !want.empty() && !got.empty()) {
    compare(ep, widest(want), widest(got), path + "[]", rules, diffs);
  }
}

}  // namespace jsondiff
