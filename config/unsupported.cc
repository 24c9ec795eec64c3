// nats-server 2.9 options that ringnats does not implement, and the verdict on
// each: refuse to start (anything deciding who may connect or what a client may
// see, and TLS anywhere) or ignore with a warning (only where that is safe).
#include "config/unsupported.h"

#include <cstdio>

#include "config/config_sink.h"
#include "config/flags.h"
#include "config/go_compat.h"

namespace ringnats::unsupported {
namespace {

using conf::ConfKind;
using conf::ConfValue;
using golang::lower;
using confparse::go_value;
using Keys = std::vector<std::string_view>;

bool listed(const Keys& keys, std::string_view k) {
  for (std::string_view key : keys)
    if (key == k) return true;
  return false;
}

// Top-level keys refused whatever their value, with nats' aliases.
struct TopRefusal {
  Keys keys;
  std::string_view why;
};

const std::vector<TopRefusal>& top_refusals() {
  static const std::vector<TopRefusal> kRefused = {
      {{"resolver_tls"}, kWhyTls},
      {{"operator", "operators", "roots", "root", "root_operators", "root_operator", "trusted", "trusted_keys",
        "resolver", "account_resolver", "accounts_resolver", "resolver_preload", "resolver_pinned_accounts"},
       kWhyJwt},
      {{"mappings", "maps"}, kWhyMappings},
  };
  return kRefused;
}

// Top-level keys ignored with a warning. Why each is safe is in README.md
// ("Options ringnats does not implement"); in short: they tune features
// ringnats does not have (JetStream, lame duck, syslog, ...), open listeners
// it never opens (profiling), or only matter together with an option that is
// refused (no_system_account is what ringnats does).
const Keys kIgnoredTop = {
    "disable_sublist_cache", "no_sublist_cache",
    "logfile_size_limit", "log_size_limit", "syslog", "remote_syslog", "ports_file_dir", "prof_port",
    "max_traced_msg_len", "max_sub_tokens", "max_subscription_tokens", "no_system_account", "no_system", "no_sys_acc", "no_header_support",
    "connect_error_reports", "reconnect_error_reports", "server_tags", "default_js_domain",
};

// A block for a kind of connection ringnats does not have (gateways,
// leafnodes, websocket, MQTT). Ignoring its listener and links is safe because
// ringnats opens no such listener and dials no such link; but any key that
// decides who may connect, what crosses the link, or TLS, is refused so that
// nobody believes it protects something.
struct BlockSpec {
  std::string_view feature;     // "gateway": named in the refusal text
  std::string_view not_a_map;   // nats' error when the value is not a map (ends "got ")
  Keys ignored;                 // plumbing: listen addresses, URLs, timeouts, tuning
  Keys refused;                 // authentication, authorization, TLS, filters
  std::string_view entries;     // a key holding an array of maps, "" if none
  std::string_view not_an_array;  // nats' error when `entries` is not an array
  const BlockSpec* entry = nullptr;
};

const BlockSpec kGatewayEntry = {"gateway", "Expected gateway entry to be a map/struct, got ",
                                 {"name", "url", "urls"}, {"tls"}, {}, {}, nullptr};
const BlockSpec kGateway = {
    "gateway", "Expected gateway to be a map, got ",
    {"name", "listen", "port", "host", "net", "advertise", "connect_retries"},
    {"authorization", "tls", "reject_unknown", "reject_unknown_cluster"},
    "gateways", "Expected gateways field to be an array, got ", &kGatewayEntry};

const BlockSpec kLeafRemote = {
    "leafnode", "Expected remote leafnode entry to be a map/struct, got ",
    {"no_randomize", "dont_randomize", "url", "urls", "hub", "ws_compress", "ws_compression",
     "websocket_compress", "websocket_compression", "ws_no_masking", "websocket_no_masking",
     "jetstream_cluster_migrate", "js_cluster_migrate"},
    {"account", "local", "creds", "credentials", "tls", "deny_imports", "deny_import", "deny_exports",
     "deny_export"},
    {}, {}, nullptr};
const BlockSpec kLeafnodes = {
    "leafnode", "Expected map to define a leafnode, got ",
    {"listen", "port", "host", "net", "reconnect", "reconnect_delay", "reconnect_interval", "leafnode_advertise",
     "advertise", "no_advertise"},
    {"authorization", "tls", "min_version", "minimum_version"},
    "remotes", "Expected remotes field to be an array, got ", &kLeafRemote};

const BlockSpec kWebsocket = {
    "websocket", "Expected websocket to be a map, got ",
    {"listen", "port", "host", "net", "advertise", "no_tls", "handshake_timeout", "compress", "compression"},
    {"tls", "same_origin", "allowed_origins", "allowed_origin", "allow_origins", "allow_origin", "origins", "origin",
     "authorization", "authentication", "jwt_cookie", "no_auth_user"},
    {}, {}, nullptr};

const BlockSpec kMqtt = {
    "MQTT", "Expected mqtt to be a map, got ",
    {"listen", "port", "host", "net", "ack_wait", "ackwait", "max_ack_pending", "max_pending", "max_inflight",
     "js_domain", "stream_replicas", "consumer_replicas", "consumer_memory_storage", "consumer_inactive_threshold",
     "consumer_auto_cleanup"},
    {"tls", "authorization", "authentication", "no_auth_user"},
    {}, {}, nullptr};

const BlockSpec* block_spec(const std::string& k) {
  if (k == "gateway") return &kGateway;
  if (k == "leaf" || k == "leafnodes") return &kLeafnodes;
  if (k == "websocket" || k == "ws") return &kWebsocket;
  if (k == "mqtt") return &kMqtt;
  return nullptr;
}


void check_block(const BlockSpec& spec, const std::string& path, const ConfValue& v, bool is_entry,
                 std::vector<std::string>& errors) {
  if (!v.is_map()) {
    errors.push_back(v.where() + ": " + std::string(spec.not_a_map) + (is_entry ? go_value(v) : v.go_type()));
    return;
  }
  const std::string why = "ringnats has no " + std::string(spec.feature) +
                          " connections, and a setting that decides who may connect, what crosses a link, or TLS "
                          "is never dropped silently; without it the rest of the block is ignored";
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    const std::string k = lower(v.keys[n]);
    const std::string sub = path + "." + v.keys[n];
    if (listed(spec.refused, k)) {
      errors.push_back(refusal(mv, sub, why));
    } else if (!spec.entries.empty() && k == spec.entries) {
      if (!mv.is_array()) {
        errors.push_back(mv.where() + ": " + std::string(spec.not_an_array) + mv.go_type());
        continue;
      }
      for (size_t i = 0; i < mv.items.size(); ++i)
        check_block(*spec.entry, sub + "[" + std::to_string(i) + "]", mv.items[i], true, errors);
    } else if (!listed(spec.ignored, k) && !mv.used_as_variable) {
      errors.push_back(mv.where() + ": unknown field " + conf::go_quote(v.keys[n]));
    }
  }
}

}  // namespace

std::string refusal(const ConfValue& at, const std::string& path, std::string_view why) {
  return at.where() + ": " + conf::go_quote(path) + " is not supported by ringnats: " + std::string(why);
}

bool check_top_key(const std::string& key, const ConfValue& v, std::vector<std::string>& errors,
                   std::vector<std::string>& ignored) {
  const std::string k = lower(key);
  for (const TopRefusal& r : top_refusals()) {
    if (listed(r.keys, k)) {
      errors.push_back(refusal(v, key, r.why));
      return true;
    }
  }
  if (k == "ocsp") {  // OCSP stapling is part of TLS; only "ocsp: false" asks for nothing
    if (v.kind == ConfKind::Bool && !v.b) ignored.push_back(key);
    else errors.push_back(refusal(v, key, kWhyTls));
    return true;
  }
  if (const BlockSpec* spec = block_spec(k)) {
    check_block(*spec, key, v, false, errors);
    ignored.push_back(key);
    return true;
  }
  if (k == "streaming" || k == "stan") {
    errors.push_back(v.where() + ": " + conf::go_quote(key) + " configures NATS Streaming. " + std::string(kStreamingAdvice));
    return true;
  }
  if (listed(kIgnoredTop, k)) {
    ignored.push_back(key);
    return true;
  }
  return false;
}

}  // namespace ringnats::unsupported
