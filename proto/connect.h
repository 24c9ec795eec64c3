// The handshake JSON of the client protocol: the INFO a server sends (Go's
// Info struct, also used on routes) and the CONNECT a client sends (Go's
// ClientOpts), decoded and encoded byte-for-byte like nats-server 2.9.10.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/json.h"

namespace ringnats::proto {

// CONNECT from a client. The member defaults are nats' defaults for a client
// that has not sent CONNECT (verbose, pedantic and echo on); decoding only
// overwrites the keys present, so decode into the connection's current values.
struct ClientConnectOptions {
  bool echo = true;
  bool verbose = true;
  bool pedantic = true;
  bool tls_required = false;
  std::string nkey, jwt, sig, auth_token, user, pass;
  std::string name, lang, version;
  int64_t protocol = 0;
  std::string account;
  bool new_account = false;
  bool headers = false;
  bool no_responders = false;
  std::optional<JsonPermission> import_perm, export_perm;  // route/leaf only; type-checked
  // After decoding: account non-empty or new_account set, which nats rejects
  // with -ERR 'Authorization Violation' (after the credentials check).
  bool has_account = false;
};

// Go's json.Unmarshal(arg, &ClientOpts). Any error means: close without -ERR.
JsonResult parse_client_connect(std::string_view json, ClientConnectOptions& o);

// Go's Info struct. Field order, omitempty and types follow nats-server 2.9.10;
// the first nine members are always written, the rest only when set.
struct ServerInfo {
  std::string server_id;
  std::string server_name;
  std::string version;
  int64_t proto = 1;  // 1 to clients, 2 on routes
  std::string git_commit;
  std::string go;  // Go version string in nats; ours names the implementation
  std::string host;
  int64_t port = 0;
  bool headers = false;
  bool auth_required = false;
  bool tls_required = false;
  bool tls_verify = false;
  bool tls_available = false;
  int32_t max_payload = 0;
  bool jetstream = false;
  std::string ip;
  uint64_t client_id = 0;
  std::string client_ip;
  std::string nonce;
  std::string cluster;
  bool cluster_dynamic = false;
  std::string domain;
  std::vector<std::string> connect_urls;
  std::vector<std::string> ws_connect_urls;
  bool ldm = false;
  std::optional<JsonPermission> import_perm;  // "import"
  std::optional<JsonPermission> export_perm;  // "export"
  bool lnoc = false;
  bool info_on_connect = false;
  bool connect_info = false;
  std::string gateway;
  std::vector<std::string> gateway_urls;
  std::string gateway_url;
  uint8_t gateway_cmd = 0;
  JsonBytes gateway_cmd_payload;
  bool gateway_nrp = false;
  bool gateway_iom = false;
  std::vector<std::string> leafnode_urls;
  std::string remote_account;
};

// json.Marshal(Info): `{"server_id":...}`.
std::string server_info_json(const ServerInfo& info);
// `INFO {json} \r\n` (trailing space: the form a server sends about itself),
// or `INFO {json}\r\n` when trailing_space is false (re-forwarded route INFO).
void append_info_line(std::string& out, const ServerInfo& info, bool trailing_space = true);
std::string info_line(const ServerInfo& info, bool trailing_space = true);

// json.Unmarshal(arg, &Info{}) on top of `info` (pass a fresh struct).
JsonResult parse_server_info(std::string_view json, ServerInfo& info);

// A fresh server id shaped like nats' (a server nkey public key): 56 chars of
// the base32 alphabet A-Z2-7 starting with 'N', with a valid nkey checksum.
std::string make_server_id();

}  // namespace ringnats::proto
