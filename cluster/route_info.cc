// Route INFO/CONNECT encoding and decoding, gossip INFO, and the accept or
// reject decisions nats-server 2.9.10 makes in processRouteConnect and
// processRouteInfo.
#include "cluster/route_info.h"

namespace ringnats::cluster {

std::string route_info_line(const RouteInfo& info, bool gossip) {
  if (!gossip || info.nonce.empty()) return proto::info_line(info, !gossip);
  RouteInfo copy = info;
  copy.nonce.clear();
  return proto::info_line(copy, false);
}

proto::JsonResult parse_route_info(std::string_view json, RouteInfo& info) {
  info = RouteInfo{};
  info.proto = 0;  // Go decodes into a zero Info
  return proto::parse_server_info(json, info);
}

std::string route_url(std::string_view host, int64_t port) {
  std::string u = "nats-route://";
  bool v6 = host.find(':') != std::string_view::npos;
  if (v6) u += '[';
  u += host;
  if (v6) u += ']';
  u += ':';
  u += std::to_string(port);
  u += '/';
  return u;
}

RouteInfo gossip_info(const RouteInfo& info, std::string_view peer_tcp_ip) {
  RouteInfo g = info;
  g.nonce.clear();
  if (g.ip.empty()) g.ip = route_url(peer_tcp_ip, g.port);
  return g;
}

RouteConnect RouteConnect::ours(std::string_view server_id, std::string_view cluster, bool dynamic) {
  RouteConnect c;
  c.echo = true;
  c.headers = true;
  c.name = server_id;
  c.cluster = cluster;
  c.cluster_dynamic = dynamic;
  return c;
}

std::string route_connect_line(const RouteConnect& c) {
  proto::JsonWriter w;
  w.field("echo", c.echo);
  w.field("verbose", c.verbose);
  w.field("pedantic", c.pedantic);
  if (!c.user.empty()) w.field("user", c.user);
  if (!c.pass.empty()) w.field("pass", c.pass);
  w.field("tls_required", c.tls_required);
  w.field("headers", c.headers);
  w.field("name", c.name);
  w.field("cluster", c.cluster);
  if (c.cluster_dynamic) w.field("cluster_dynamic", true);
  if (c.lnoc) w.field("lnoc", true);
  if (!c.gateway.empty()) w.field("gateway", c.gateway);
  return "CONNECT " + w.finish() + "\r\n";
}

proto::JsonResult parse_route_connect(std::string_view json, RouteConnect& c) {
  c = RouteConnect{};
  // Pass 1: the client options every connection kind is decoded into first.
  // A route's options start zeroed, not at the client defaults.
  proto::ClientConnectOptions o;
  o.echo = o.verbose = o.pedantic = false;
  proto::JsonResult r = proto::parse_client_connect(json, o);
  if (!r) return r;
  c.lang = o.lang;
  if (!c.lang.empty()) return r;
  // Pass 2: the route's own structure.
  const proto::JsonField fields[] = {
      {"echo", &c.echo},
      {"verbose", &c.verbose},
      {"pedantic", &c.pedantic},
      {"user", &c.user},
      {"pass", &c.pass},
      {"tls_required", &c.tls_required},
      {"headers", &c.headers},
      {"name", &c.name},
      {"cluster", &c.cluster},
      {"cluster_dynamic", &c.cluster_dynamic},
      {"lnoc", &c.lnoc},
      {"gateway", &c.gateway},
  };
  return proto::json_decode_object(json, fields, std::size(fields));
}

RouteConnectVerdict check_route_connect(const RouteConnect& c, std::string_view our_cluster, bool our_dynamic) {
  if (!c.lang.empty()) return RouteConnectVerdict::ClientOnRoutePort;
  if (!c.gateway.empty()) return RouteConnectVerdict::Gateway;
  if (c.cluster != our_cluster) {
    if (our_dynamic && (!c.cluster_dynamic || our_cluster < std::string_view(c.cluster)))
      return RouteConnectVerdict::AdoptName;
    return RouteConnectVerdict::ClusterMismatch;
  }
  return RouteConnectVerdict::Accept;
}

namespace {

// Go's %q for the printable names we expect: quotes and backslashes escaped.
void append_quoted(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch == '\a' || ch == '\b' || ch == '\f' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\v') {
      out += '\\';
      out += "abtnvfr"[ch - '\a'];
    } else if (ch < 0x20 || ch == 0x7f) {
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 0xF];
    } else {
      out += static_cast<char>(ch);
    }
  }
  out += '"';
}

}  // namespace

std::string route_connect_error(RouteConnectVerdict v, const RouteConnect& c, std::string_view our_cluster) {
  std::string out;
  switch (v) {
    case RouteConnectVerdict::Accept:
    case RouteConnectVerdict::AdoptName:
      return out;
    case RouteConnectVerdict::ClientOnRoutePort:
      return "-ERR 'attempted to connect to route port'\r\n";
    case RouteConnectVerdict::Gateway:
      out = "-ERR 'Rejecting connection from gateway ";
      append_quoted(out, c.gateway);
      out += " on the Route port'\r\n";
      return out;
    case RouteConnectVerdict::ClusterMismatch:
      out = "-ERR 'Rejecting connection, cluster name ";
      append_quoted(out, c.cluster);
      out += " does not match ";
      append_quoted(out, our_cluster);
      out += "'\r\n";
      return out;
  }
  return out;
}

RouteInfoCheck check_route_info(const RouteInfo& info, const RouteInfoContext& ctx) {
  RouteInfoCheck r{RouteInfoVerdict::Register};
  if (info.server_id == ctx.our_id) return {RouteInfoVerdict::SelfRoute};
  if (!info.cluster.empty() && info.cluster != ctx.our_cluster) {
    if (ctx.our_dynamic && (!info.cluster_dynamic || ctx.our_cluster < std::string_view(info.cluster)))
      r.adopt_cluster = true;
    else
      return {RouteInfoVerdict::ClusterConflict};
  }
  if (ctx.info_received) {
    r.verdict = (!ctx.remote_id.empty() && ctx.remote_id != info.server_id) ? RouteInfoVerdict::Gossip
                                                                            : RouteInfoVerdict::Update;
    return r;
  }
  if (!ctx.solicited && info.server_name == ctx.our_name) return {RouteInfoVerdict::DuplicateName};
  return r;
}

}  // namespace ringnats::cluster
