// libFuzzer target: the handshake JSON (proto/json.h, proto/connect.h,
// cluster/route_info.h). The input goes through the validator and every
// decoder; what decodes is encoded again, and encoding must be a fixed point
// (decode(encode(x)) encodes to the same bytes) and always valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/route_info.h"
#include "proto/connect.h"
#include "proto/json.h"

namespace {

using namespace ringnats::proto;
using namespace ringnats::cluster;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
  }
}

// `INFO {json} \r\n` / `CONNECT {json}\r\n` -> `{json}`.
std::string_view json_of(std::string_view line) {
  size_t b = line.find('{');
  size_t e = line.rfind('}');
  require(b != std::string_view::npos && e != std::string_view::npos && b < e, "line without JSON");
  return line.substr(b, e - b + 1);
}

void check_strings(std::string_view in) {
  std::string lit;
  json_append_string(lit, in);
  require(json_valid(lit), "json_append_string wrote invalid JSON");
  std::string once;
  json_unquote(lit, once);
  std::string lit2;
  json_append_string(lit2, once);
  std::string twice;
  json_unquote(lit2, twice);
  require(once == twice, "string encoding is not a fixed point");
  JsonWriter w;
  w.field("k", in);
  w.field(in, int64_t{-5});
  w.field("l", std::vector<std::string>{std::string(in), ""});
  std::string obj = w.finish();
  require(json_valid(obj), "JsonWriter wrote invalid JSON");
  if (!in.empty() && in.front() == '"' && json_valid(in)) {
    // A whole string literal (maybe with trailing whitespace).
    size_t end = in.find_last_not_of(" \t\r\n");
    std::string out;
    json_unquote(in.substr(0, end + 1), out);
  }
}

void check_info(std::string_view in) {
  ServerInfo a;
  JsonResult r = parse_server_info(in, a);
  if (r.error == JsonError::Syntax) require(!json_valid(in), "syntax error on valid JSON");
  if (!r) return;
  require(json_valid(in), "decoded invalid JSON");
  std::string j1 = server_info_json(a);
  require(json_valid(j1), "server_info_json wrote invalid JSON");
  ServerInfo b;
  require(static_cast<bool>(parse_server_info(j1, b)), "own INFO does not decode");
  std::string j2 = server_info_json(b);
  require(j1 == j2, "INFO encoding is not a fixed point");
  std::string line = info_line(a);
  require(json_of(line) == j1, "info_line differs from server_info_json");
}

void check_client_connect(std::string_view in) {
  ClientConnectOptions o;
  JsonResult r = parse_client_connect(in, o);
  if (r) require(json_valid(in), "CONNECT decoded from invalid JSON");
}

void check_route(std::string_view in) {
  RouteInfo ri;
  if (parse_route_info(in, ri)) {
    std::string l1 = route_info_line(ri, false);
    RouteInfo rb;
    require(static_cast<bool>(parse_route_info(json_of(l1), rb)), "own route INFO does not decode");
    require(route_info_line(rb, false) == l1, "route INFO encoding is not a fixed point");
    RouteInfo g = gossip_info(ri, "10.0.0.1");
    require(json_valid(json_of(route_info_line(g, true))), "gossip INFO invalid");
    (void)route_url(ri.host, ri.port);
    RouteInfoContext ctx;
    ctx.our_id = "NME";
    ctx.our_cluster = "c";
    ctx.solicited = true;
    (void)check_route_info(ri, ctx);
  }
  RouteConnect rc;
  if (parse_route_connect(in, rc)) {
    std::string l1 = route_connect_line(rc);
    RouteConnect rb;
    require(static_cast<bool>(parse_route_connect(json_of(l1), rb)), "own route CONNECT does not decode");
    rb.lang = rc.lang;  // never written
    require(route_connect_line(rb) == l1, "route CONNECT encoding is not a fixed point");
    for (bool dyn : {false, true}) {
      RouteConnectVerdict v = check_route_connect(rc, "c1", dyn);
      (void)route_connect_error(v, rc, "c1");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::vector<char> buf(data, data + size);  // exact-size heap copy
  std::string_view in(buf.data(), buf.size());
  (void)json_valid(in);
  (void)json_key_matches(in, "server_id");
  check_strings(in);
  check_info(in);
  check_client_connect(in);
  check_route(in);
  return 0;
}
