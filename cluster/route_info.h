// The route handshake: the INFO and CONNECT JSON peers exchange, their
// gossip form, and the checks nats-server 2.9.10 makes on receiving them,
// with the exact -ERR lines it sends when it refuses a peer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/connect.h"
#include "proto/json.h"

namespace ringnats::cluster {

// A route INFO is nats' Info struct with proto 2.
struct RouteInfo : proto::ServerInfo {
  RouteInfo() { proto = 2; }
};

// `INFO {json} \r\n` about ourselves; gossip=true gives the re-forwarded form
// `INFO {json}\r\n`, which never carries a nonce.
std::string route_info_line(const RouteInfo& info, bool gossip);
// Decodes into a fresh RouteInfo (Go: json.Unmarshal into Info{}).
proto::JsonResult parse_route_info(std::string_view json, RouteInfo& info);

// `nats-route://host:port/`, IPv6 hosts in brackets (net.JoinHostPort).
std::string route_url(std::string_view host, int64_t port);

// What we forward to our other routes when peer `info` registers: no nonce,
// and `ip` filled in from the peer's TCP address and its INFO port if unset.
RouteInfo gossip_info(const RouteInfo& info, std::string_view peer_tcp_ip);

// Route CONNECT (nats' connectInfo). Members start at Go's zero values, the
// state a decoded CONNECT starts from; use ours() for what we send.
struct RouteConnect {
  bool echo = false;
  bool verbose = false;
  bool pedantic = false;
  std::string user, pass;
  bool tls_required = false;
  bool headers = false;
  std::string name;  // the sender's server_id
  std::string cluster;
  bool cluster_dynamic = false;
  bool lnoc = false;  // only if we speak LS+/LMSG; leave false
  std::string gateway;
  // Decoded only: the client field nats reads first to spot clients that
  // dialled the route port. Never written.
  std::string lang;

  // What a stock server sends: echo and headers on, verbose/pedantic off.
  static RouteConnect ours(std::string_view server_id, std::string_view cluster, bool dynamic);
};

// `CONNECT {json}\r\n`.
std::string route_connect_line(const RouteConnect& c);

// nats decodes a route CONNECT twice: as client options, then as connectInfo.
// If the first pass finds a non-empty lang the second is skipped (nats sends
// -ERR 'attempted to connect to route port' before looking further), so check
// `lang` first. Errors mean: close without -ERR.
proto::JsonResult parse_route_connect(std::string_view json, RouteConnect& c);

enum class RouteConnectVerdict : uint8_t {
  Accept,
  AdoptName,          // our dynamic name loses: take c.cluster (nats also closes its other routes)
  ClientOnRoutePort,  // -ERR 'attempted to connect to route port', close
  Gateway,            // -ERR 'Rejecting connection from gateway "<g>" on the Route port', close
  ClusterMismatch,    // -ERR 'Rejecting connection, cluster name "<theirs>" does not match "<ours>"', close
};

// processRouteConnect's checks, in its order.
RouteConnectVerdict check_route_connect(const RouteConnect& c, std::string_view our_cluster, bool our_dynamic);
// The whole -ERR line to send for a rejecting verdict; empty otherwise.
std::string route_connect_error(RouteConnectVerdict v, const RouteConnect& c, std::string_view our_cluster);

enum class RouteInfoVerdict : uint8_t {
  Register,           // first INFO: register the route (duplicate server_id check is the caller's)
  Update,             // later INFO from the same peer (ldm, permissions)
  Gossip,             // later INFO about another server: maybe dial info.ip
  SelfRoute,          // our own server_id: close, no -ERR
  ClusterConflict,    // close, no -ERR
  DuplicateName,      // accepted route whose server_name equals ours: close, no -ERR
};

struct RouteInfoContext {
  std::string_view our_id;
  std::string_view our_name;
  std::string_view our_cluster;
  bool our_dynamic = false;
  bool solicited = false;      // we dialled this route
  bool info_received = false;  // this route already gave us its first INFO
  std::string_view remote_id;  // from the peer's CONNECT or first INFO, may be empty
};

struct RouteInfoCheck {
  RouteInfoVerdict verdict;
  bool adopt_cluster = false;  // take info.cluster first (and close the other routes)
};

// processRouteInfo's checks, in its order.
RouteInfoCheck check_route_info(const RouteInfo& info, const RouteInfoContext& ctx);

}  // namespace ringnats::cluster

namespace ringnats {
// The route manager lives in namespace ringnats and uses these unqualified.
using cluster::RouteConnect;
using cluster::RouteInfo;
using cluster::parse_route_connect;
using cluster::parse_route_info;
using cluster::route_info_line;
}  // namespace ringnats
