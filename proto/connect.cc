// CONNECT decoding and INFO encoding/decoding, with the field tables that
// mirror nats-server's Go structs (names, types, order, omitempty).
#include "proto/connect.h"

#include <random>

namespace ringnats::proto {

JsonResult parse_client_connect(std::string_view json, ClientConnectOptions& o) {
  const JsonField fields[] = {
      {"echo", &o.echo},
      {"verbose", &o.verbose},
      {"pedantic", &o.pedantic},
      {"tls_required", &o.tls_required},
      {"nkey", &o.nkey},
      {"jwt", &o.jwt},
      {"sig", &o.sig},
      {"auth_token", &o.auth_token},
      {"user", &o.user},
      {"pass", &o.pass},
      {"name", &o.name},
      {"lang", &o.lang},
      {"version", &o.version},
      {"protocol", &o.protocol},
      {"account", &o.account},
      {"new_account", &o.new_account},
      {"headers", &o.headers},
      {"no_responders", &o.no_responders},
      {"import", &o.import_perm},
      {"export", &o.export_perm},
  };
  JsonResult r = json_decode_object(json, fields, std::size(fields));
  o.has_account = !o.account.empty() || o.new_account;
  return r;
}

JsonResult parse_server_info(std::string_view json, ServerInfo& i) {
  const JsonField fields[] = {
      {"server_id", &i.server_id},
      {"server_name", &i.server_name},
      {"version", &i.version},
      {"proto", &i.proto},
      {"git_commit", &i.git_commit},
      {"go", &i.go},
      {"host", &i.host},
      {"port", &i.port},
      {"headers", &i.headers},
      {"auth_required", &i.auth_required},
      {"tls_required", &i.tls_required},
      {"tls_verify", &i.tls_verify},
      {"tls_available", &i.tls_available},
      {"max_payload", &i.max_payload},
      {"jetstream", &i.jetstream},
      {"ip", &i.ip},
      {"client_id", &i.client_id},
      {"client_ip", &i.client_ip},
      {"nonce", &i.nonce},
      {"cluster", &i.cluster},
      {"cluster_dynamic", &i.cluster_dynamic},
      {"domain", &i.domain},
      {"connect_urls", &i.connect_urls},
      {"ws_connect_urls", &i.ws_connect_urls},
      {"ldm", &i.ldm},
      {"import", &i.import_perm},
      {"export", &i.export_perm},
      {"lnoc", &i.lnoc},
      {"info_on_connect", &i.info_on_connect},
      {"connect_info", &i.connect_info},
      {"gateway", &i.gateway},
      {"gateway_urls", &i.gateway_urls},
      {"gateway_url", &i.gateway_url},
      {"gateway_cmd", &i.gateway_cmd},
      {"gateway_cmd_payload", &i.gateway_cmd_payload},
      {"gateway_nrp", &i.gateway_nrp},
      {"gateway_iom", &i.gateway_iom},
      {"leafnode_urls", &i.leafnode_urls},
      {"remote_account", &i.remote_account},
  };
  return json_decode_object(json, fields, std::size(fields));
}

std::string server_info_json(const ServerInfo& i) {
  JsonWriter w;
  w.field("server_id", i.server_id);
  w.field("server_name", i.server_name);
  w.field("version", i.version);
  w.field("proto", i.proto);
  if (!i.git_commit.empty()) w.field("git_commit", i.git_commit);
  w.field("go", i.go);
  w.field("host", i.host);
  w.field("port", i.port);
  w.field("headers", i.headers);
  if (i.auth_required) w.field("auth_required", true);
  if (i.tls_required) w.field("tls_required", true);
  if (i.tls_verify) w.field("tls_verify", true);
  if (i.tls_available) w.field("tls_available", true);
  w.field("max_payload", i.max_payload);
  if (i.jetstream) w.field("jetstream", true);
  if (!i.ip.empty()) w.field("ip", i.ip);
  if (i.client_id) w.field("client_id", i.client_id);
  if (!i.client_ip.empty()) w.field("client_ip", i.client_ip);
  if (!i.nonce.empty()) w.field("nonce", i.nonce);
  if (!i.cluster.empty()) w.field("cluster", i.cluster);
  if (i.cluster_dynamic) w.field("cluster_dynamic", true);
  if (!i.domain.empty()) w.field("domain", i.domain);
  if (!i.connect_urls.empty()) w.field("connect_urls", i.connect_urls);
  if (!i.ws_connect_urls.empty()) w.field("ws_connect_urls", i.ws_connect_urls);
  if (i.ldm) w.field("ldm", true);
  if (i.import_perm) w.field("import", *i.import_perm);
  if (i.export_perm) w.field("export", *i.export_perm);
  if (i.lnoc) w.field("lnoc", true);
  if (i.info_on_connect) w.field("info_on_connect", true);
  if (i.connect_info) w.field("connect_info", true);
  if (!i.gateway.empty()) w.field("gateway", i.gateway);
  if (!i.gateway_urls.empty()) w.field("gateway_urls", i.gateway_urls);
  if (!i.gateway_url.empty()) w.field("gateway_url", i.gateway_url);
  if (i.gateway_cmd) w.field("gateway_cmd", i.gateway_cmd);
  if (!i.gateway_cmd_payload.data.empty()) w.field("gateway_cmd_payload", i.gateway_cmd_payload);
  if (i.gateway_nrp) w.field("gateway_nrp", true);
  if (i.gateway_iom) w.field("gateway_iom", true);
  if (!i.leafnode_urls.empty()) w.field("leafnode_urls", i.leafnode_urls);
  if (!i.remote_account.empty()) w.field("remote_account", i.remote_account);
  return w.finish();
}

void append_info_line(std::string& out, const ServerInfo& info, bool trailing_space) {
  out += "INFO ";
  out += server_info_json(info);
  out += trailing_space ? " \r\n" : "\r\n";
}

std::string info_line(const ServerInfo& info, bool trailing_space) {
  std::string out;
  append_info_line(out, info, trailing_space);
  return out;
}

namespace {

// CRC-16/XMODEM, the checksum nkeys appends (little-endian) to a key.
uint16_t crc16_xmodem(const uint8_t* p, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(p[i]) << 8;
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

}  // namespace

std::string make_server_id() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  uint8_t raw[35];
  raw[0] = 13 << 3;  // nkeys prefix byte for a server: encodes as 'N'
  std::random_device rd;
  for (int i = 1; i < 33; ++i) raw[i] = static_cast<uint8_t>(rd());
  uint16_t crc = crc16_xmodem(raw, 33);
  raw[33] = static_cast<uint8_t>(crc & 0xFF);
  raw[34] = static_cast<uint8_t>(crc >> 8);
  std::string out;
  out.reserve(56);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (5 - bits)) & 31];
  return out;
}

}  // namespace ringnats::proto
