// Query decoding with nats' error texts, and the path -> renderer table.
// Pure; any thread.
#include "monitor/endpoint.h"

#include <string_view>
#include <utility>

namespace ringnats::monitor {

std::string q_str(const Query& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

bool q_bool(const Query& q, const std::string& key, bool& out, Response& err) {
  std::string s = q_str(q, key);
  out = false;
  if (s.empty()) return true;
  std::string e;
  auto v = go_parse_bool(s, e);
  if (!v) {
    err = bad_request("Error decoding boolean for '" + key + "': " + e);
    return false;
  }
  out = *v;
  return true;
}

bool q_int(const Query& q, const std::string& key, int64_t& out, Response& err) {
  std::string s = q_str(q, key);
  out = 0;
  if (s.empty()) return true;
  std::string e;
  auto v = go_atoi(s, e);
  if (!v) {
    err = bad_request("Error decoding int for '" + key + "': " + e);
    return false;
  }
  out = *v;
  return true;
}

bool q_uint(const Query& q, const std::string& key, uint64_t& out, Response& err) {
  std::string s = q_str(q, key);
  out = 0;
  if (s.empty()) return true;
  std::string e;
  auto v = go_parse_uint(s, e);
  if (!v) {
    err = bad_request("Error decoding uint64 for '" + key + "': " + e);
    return false;
  }
  out = *v;
  return true;
}

Response not_found() {
  return Response{404, "404 page not found\n", "text/plain; charset=utf-8"};
}

Renderer find_endpoint(const std::string& path, std::string& stats_key) {
  static const std::pair<std::string_view, Renderer> table[] = {
      {"/", render_root},           {"/varz", render_varz},
      {"/connz", render_connz},     {"/routez", render_routez},
      {"/subsz", render_subsz},     {"/subscriptionsz", render_subsz},
      {"/accountz", render_accountz}, {"/accstatz", render_accstatz},
      {"/healthz", render_healthz}, {"/gatewayz", render_gatewayz},
      {"/leafz", render_leafz},     {"/metrics", render_metrics},
  };
  for (const auto& [p, r] : table) {
    if (p == path) {
      stats_key = p == "/subscriptionsz" ? "/subsz" : std::string(p);
      return r;
    }
  }
  stats_key.clear();
  return nullptr;
}

}  // namespace ringnats::monitor
