// nats-server 2.9 compatible command line: Go `flag` syntax over the same flag
// names, then the config file, then the flags again so they win, then nats'
// defaults and checks. Messages and streams mirror nats-server's main.
#include "config/flags.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ringnats {
namespace {

using conf::ConfKind;
using conf::ConfValue;
using conf::go_quote;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r' || s[b] == '\v' || s[b] == '\f')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r' ||
                   s[e - 1] == '\v' || s[e - 1] == '\f'))
    --e;
  return std::string(s.substr(b, e - b));
}

// ------------------------------------------------------------ Go helpers

// net.SplitHostPort, with Go's error texts.
bool split_host_port(const std::string& hp, std::string& host, std::string& port, std::string& err) {
  auto fail = [&](const char* why) {
    err = hp.empty() ? std::string(why) : "address " + hp + ": " + why;
    return false;
  };
  size_t i = hp.rfind(':');
  if (i == std::string::npos) return fail("missing port in address");
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string::npos) return fail("missing ']' in address");
    if (end + 1 == hp.size()) return fail("missing port in address");
    if (end + 1 != i) return fail(hp[end + 1] == ':' ? "too many colons in address" : "missing port in address");
    host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    host = hp.substr(0, i);
    if (host.find(':') != std::string::npos) return fail("too many colons in address");
  }
  if (hp.find('[', j) != std::string::npos) return fail("unexpected '[' in address");
  if (hp.find(']', k) != std::string::npos) return fail("unexpected ']' in address");
  port = hp.substr(i + 1);
  return true;
}

// The parts of Go's url.Parse that nats' --cluster handling depends on.
struct GoUrl {
  std::string scheme, host, user, password;
  bool has_user = false, has_password = false;
};

bool host_char_ok(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) return true;
  switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
    case ';': case '=': case ':': case '[': case ']': case '<': case '>': case '"': case '-':
    case '.': case '_': case '~': case '%':
      return true;
    default:
      return false;
  }
}

bool valid_optional_port(std::string_view p) {
  if (p.empty()) return true;
  if (p[0] != ':') return false;
  for (char c : p.substr(1))
    if (c < '0' || c > '9') return false;
  return true;
}

bool parse_go_url(const std::string& raw, GoUrl& u, std::string& err) {
  auto fail = [&](const std::string& why) {
    err = "parse " + go_quote(raw) + ": " + why;
    return false;
  };
  for (unsigned char c : raw)
    if (c < 0x20 || c == 0x7f) return fail("net/url: invalid control character in URL");
  std::string rest = raw.substr(0, raw.find('#'));
  // Scheme: a letter, then letters, digits, '+', '-', '.', ended by ':'.
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (alpha) continue;
    if (other && i > 0) continue;
    if (c == ':') {
      if (i == 0) return fail("missing protocol scheme");
      u.scheme = lower(rest.substr(0, i));
      rest = rest.substr(i + 1);
    }
    break;
  }
  size_t q = rest.find('?');
  if (q != std::string::npos) rest.resize(q);
  if (rest.empty() || rest[0] != '/') {
    if (!u.scheme.empty()) return true;  // opaque, like "host:port": no host
    size_t colon = rest.find(':');
    if (colon != std::string::npos && colon < rest.find('/'))
      return fail("first path segment in URL cannot contain colon");
    return true;
  }
  if (rest.rfind("//", 0) != 0) return true;
  std::string authority = rest.substr(2);
  authority = authority.substr(0, authority.find('/'));
  size_t at = authority.rfind('@');
  std::string hostpart = authority;
  if (at != std::string::npos) {
    std::string info = authority.substr(0, at);
    hostpart = authority.substr(at + 1);
    u.has_user = true;
    size_t colon = info.find(':');
    if (colon == std::string::npos) {
      u.user = info;
    } else {
      u.user = info.substr(0, colon);
      u.password = info.substr(colon + 1);
      u.has_password = true;
    }
  }
  if (!hostpart.empty() && hostpart[0] == '[') {
    size_t close = hostpart.rfind(']');
    if (close == std::string::npos) return fail("missing ']' in host");
    std::string colon_port = hostpart.substr(close + 1);
    if (!valid_optional_port(colon_port)) return fail("invalid port " + go_quote(colon_port) + " after host");
  } else {
    size_t colon = hostpart.rfind(':');
    if (colon != std::string::npos) {
      std::string colon_port = hostpart.substr(colon);
      if (!valid_optional_port(colon_port)) return fail("invalid port " + go_quote(colon_port) + " after host");
    }
  }
  for (unsigned char c : hostpart)
    if (!host_char_ok(c)) return fail("invalid character " + go_quote(std::string(1, static_cast<char>(c))) + " in host name");
  u.host = hostpart;
  return true;
}

// strconv.ParseInt(s, 0, 64) as Go's flag package uses it.
enum class IntErr { Ok, Syntax, Range };
IntErr parse_go_int(std::string_view s, int64_t& out) {
  if (s.empty()) return IntErr::Syntax;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16;
    else if (p == 'o') base = 8;
    else if (p == 'b') base = 2;
    if (base != 10) {
      s.remove_prefix(2);
      prefixed = true;
    } else {
      base = 8;
      prefixed = true;
    }
  }
  if (s.empty()) return IntErr::Syntax;
  unsigned __int128 v = 0;
  bool any = false, last_us = prefixed && base != 8;  // "0x_1" is fine, "0x1__2" is not
  bool range = false;
  for (char c : s) {
    if (c == '_') {
      if (!prefixed || last_us) return IntErr::Syntax;
      last_us = true;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return IntErr::Syntax;
    if (d >= base) return IntErr::Syntax;
    last_us = false;
    any = true;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > (static_cast<unsigned __int128>(1) << 64)) range = true, v = static_cast<unsigned __int128>(1) << 64;
  }
  if (!any || last_us) return IntErr::Syntax;
  unsigned __int128 lim = static_cast<unsigned __int128>(1) << 63;
  if (range || (!neg && v >= lim) || (neg && v > lim)) return IntErr::Range;
  out = neg ? static_cast<int64_t>(0 - static_cast<uint64_t>(v)) : static_cast<int64_t>(v);
  return IntErr::Ok;
}

// strconv.Atoi: optional sign and decimal digits only.
IntErr parse_decimal(std::string_view s, int64_t& out) {
  std::string_view d = s;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) d.remove_prefix(1);
  if (d.empty()) return IntErr::Syntax;
  for (char c : d)
    if (c < '0' || c > '9') return IntErr::Syntax;
  while (d.size() > 1 && d[0] == '0') d.remove_prefix(1);
  std::string norm = (s[0] == '-' ? "-" : "") + std::string(d);
  return parse_go_int(norm, out);
}

bool parse_go_bool(std::string_view s, bool& out) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") {
    out = true;
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    out = false;
    return true;
  }
  return false;
}

// ------------------------------------------------------------ config file

struct Sink {
  std::vector<std::string>& errors;
  std::vector<std::string>& warnings;
  std::vector<std::string>& ignored;
  // A wrong value type aborts the enclosing block in nats (a recovered Go
  // panic); the block parsers check this to stop where nats stops.
  bool aborted = false;
};

void type_error(const ConfValue& v, const char* want, Sink& s) {
  s.errors.push_back(v.where() + ": interface conversion: interface {} is " + v.go_type() + ", not " + want);
  s.aborted = true;
}

// What nats adds when a failed authorization block is then dereferenced.
void nil_auth_error(const ConfValue& v, Sink& s) {
  s.errors.push_back(v.where() + ": runtime error: invalid memory address or nil pointer dereference");
}

bool get_int(const ConfValue& v, int64_t& out, Sink& s) {
  if (v.kind != ConfKind::Int) {
    type_error(v, "int64", s);
    return false;
  }
  out = v.i;
  return true;
}
bool get_str(const ConfValue& v, std::string& out, Sink& s) {
  if (v.kind != ConfKind::String) {
    type_error(v, "string", s);
    return false;
  }
  out = v.str;
  return true;
}
bool get_bool(const ConfValue& v, bool& out, Sink& s) {
  if (v.kind != ConfKind::Bool) {
    type_error(v, "bool", s);
    return false;
  }
  out = v.b;
  return true;
}
template <typename T>
void set_int(const ConfValue& v, T& field, Sink& s) {
  int64_t n;
  if (get_int(v, n, s)) field = static_cast<T>(n);
}

void unknown_field(const std::string& key, const ConfValue& v, Sink& s) {
  if (v.used_as_variable) return;  // defined to be referenced as $key
  s.errors.push_back(v.where() + ": unknown field " + go_quote(key));
}

// "host:port", ":port" or a bare port number.
bool parse_listen(const ConfValue& v, std::string& host, int& port, Sink& s) {
  if (v.kind == ConfKind::Int) {
    host.clear();
    port = static_cast<int>(v.i);
    return true;
  }
  if (v.kind != ConfKind::String) {
    s.errors.push_back(v.where() + ": expected port or host:port, got " + v.go_type());
    return false;
  }
  std::string h, p, err;
  if (!split_host_port(v.str, h, p, err)) {
    s.errors.push_back(v.where() + ": could not parse address string " + go_quote(v.str));
    return false;
  }
  int64_t n = 0;
  if (parse_decimal(p, n) != IntErr::Ok) {
    s.errors.push_back(v.where() + ": could not parse port " + go_quote(p));
    return false;
  }
  host = h;
  port = static_cast<int>(n);
  return true;
}

// A string in Go duration syntax, or (deprecated) an integer of seconds.
void parse_duration_field(const std::string& field, const ConfValue& v, int64_t& out, Sink& s) {
  if (v.kind == ConfKind::String) {
    std::string err;
    int64_t ns = 0;
    if (!conf::parse_go_duration(v.str, ns, err)) {
      s.errors.push_back(v.where() + ": error parsing " + field + ": " + err);
      out = 0;
      return;
    }
    out = ns;
    return;
  }
  s.warnings.push_back(v.where() + ": invalid use of field " + go_quote(field) + ": " + field +
                       " should be converted to a duration");
  int64_t n;
  if (get_int(v, n, s)) out = n * kSecond;
}

struct Auth {
  std::string user, pass, token;
  int64_t timeout_ns = 0;
  bool has_users = false;
};

bool parse_auth(const ConfValue& v, Auth& a, Sink& s) {
  if (!v.is_map()) {
    type_error(v, "map[string]interface {}", s);
    return false;
  }
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    std::string k = lower(v.keys[n]);
    if (k == "user" || k == "username") {
      get_str(mv, a.user, s);
    } else if (k == "pass" || k == "password") {
      get_str(mv, a.pass, s);
    } else if (k == "token") {
      get_str(mv, a.token, s);
    } else if (k == "timeout") {
      double secs = 1;  // nats' value for anything that is not a number
      if (mv.kind == ConfKind::Int) secs = static_cast<double>(mv.i);
      if (mv.kind == ConfKind::Float) secs = mv.f;
      a.timeout_ns = static_cast<int64_t>(secs * 1e9);
    } else if (k == "users") {
      a.has_users = true;
      s.errors.push_back(mv.where() + ": users are not supported by ringnats");
    } else if (k == "default_permission" || k == "default_permissions" || k == "permissions") {
      s.errors.push_back(mv.where() + ": permissions are not supported by ringnats");
    } else {
      unknown_field(v.keys[n], mv, s);
    }
    if (s.aborted) return false;
  }
  return true;
}

void parse_routes(const ConfValue& v, std::vector<std::string>& routes, Sink& s) {
  if (!v.is_array()) {
    type_error(v, "[]interface {}", s);
    return;
  }
  std::vector<std::string> out;
  for (const ConfValue& e : v.items) {
    std::string raw;
    if (!get_str(e, raw, s)) {
      s.aborted = false;  // nats recovers inside the route list and goes on
      return;
    }
    bool dup = false;
    for (const auto& seen : out) dup = dup || seen == raw;
    if (dup) {
      s.warnings.push_back(e.where() + ": invalid use of field " + go_quote(raw) + ": Duplicate route entry detected");
      continue;
    }
    std::string url = trim(raw), err;
    GoUrl u;
    if (!parse_go_url(url, u, err)) {
      s.errors.push_back(e.where() + ": error parsing route url [" + go_quote(url) + "]");
      continue;
    }
    out.push_back(raw);
  }
  for (auto& r : out) r = trim(r);
  routes = std::move(out);
}

void parse_cluster(const ConfValue& v, Options& o, Sink& s) {
  if (!v.is_map()) {
    s.errors.push_back(v.where() + ": Expected map to define cluster, got " + v.go_type());
    return;
  }
  ClusterOptions& c = o.cluster;
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    std::string k = lower(v.keys[n]);
    if (k == "name") {
      get_str(mv, c.name, s);
    } else if (k == "listen") {
      parse_listen(mv, c.host, c.port, s);
    } else if (k == "port") {
      set_int(mv, c.port, s);
    } else if (k == "host" || k == "net") {
      get_str(mv, c.host, s);
    } else if (k == "authorization") {
      Auth a;
      if (!parse_auth(mv, a, s)) {
        nil_auth_error(mv, s);
        return;
      }
      if (a.has_users) {
        s.errors.push_back(mv.where() + ": Cluster authorization does not allow multiple users");
        continue;
      }
      if (!a.token.empty()) {
        s.errors.push_back(mv.where() + ": Cluster authorization does not support tokens");
        continue;
      }
      c.username = a.user;
      c.password = a.pass;
      c.auth_timeout_ns = a.timeout_ns;
    } else if (k == "routes") {
      parse_routes(mv, c.routes, s);
    } else if (k == "cluster_advertise" || k == "advertise") {
      get_str(mv, c.advertise, s);
    } else if (k == "no_advertise") {
      get_bool(mv, c.no_advertise, s);
    } else if (k == "connect_retries") {
      set_int(mv, c.connect_retries, s);
    } else if (k == "tls") {
      s.errors.push_back(mv.where() + ": TLS is not supported by ringnats");
    } else if (k == "permissions") {
      s.ignored.push_back("cluster.permissions");
    } else {
      unknown_field(v.keys[n], mv, s);
    }
    if (s.aborted) return;
  }
}

// Top-level keys nats knows but ringnats does not act on.
bool nats_key_we_ignore(const std::string& k) {
  static const char* const kKeys[] = {
      "mappings", "maps", "disable_sublist_cache", "no_sublist_cache", "accounts", "https",
      "https_port", "http_base_path", "gateway", "leaf", "leafnodes", "store_dir", "storedir",
      "jetstream", "logfile_size_limit", "log_size_limit", "syslog", "remote_syslog",
      "ports_file_dir", "prof_port", "max_traced_msg_len", "max_sub_tokens",
      "max_subscription_tokens", "ocsp", "allow_non_tls", "lame_duck_duration",
      "lame_duck_grace_period", "operator", "operators", "roots", "root", "root_operators",
      "root_operator", "resolver", "account_resolver", "accounts_resolver", "resolver_tls",
      "resolver_preload", "resolver_pinned_accounts", "no_auth_user", "system_account", "system",
      "no_system_account", "no_system", "no_sys_acc", "no_header_support", "trusted",
      "trusted_keys", "connect_error_reports", "reconnect_error_reports", "websocket", "ws",
      "mqtt", "server_tags", "default_js_domain"};
  for (const char* key : kKeys)
    if (k == key) return true;
  return false;
}

void apply_top_key(const std::string& key, const ConfValue& v, Options& o, Sink& s) {
  const std::string k = lower(key);
  if (k == "listen") {
    parse_listen(v, o.host, o.port, s);
  } else if (k == "client_advertise") {
    get_str(v, o.client_advertise, s);
  } else if (k == "port") {
    set_int(v, o.port, s);
  } else if (k == "server_name") {
    get_str(v, o.server_name, s);
  } else if (k == "host" || k == "net") {
    get_str(v, o.host, s);
  } else if (k == "debug") {
    get_bool(v, o.debug, s);
  } else if (k == "trace" || k == "trace_verbose") {
    get_bool(v, o.trace, s);
  } else if (k == "logtime") {
    get_bool(v, o.logtime, s);
  } else if (k == "authorization") {
    Auth a;
    if (!parse_auth(v, a, s)) {
      nil_auth_error(v, s);
      return;
    }
    o.username = a.user;
    o.password = a.pass;
    o.auth_token = a.token;
    o.auth_timeout_ns = a.timeout_ns;
    if ((!a.user.empty() || !a.pass.empty()) && !a.token.empty())
      s.errors.push_back(v.where() + ": Cannot have a user/pass and token");
  } else if (k == "http") {
    parse_listen(v, o.http_host, o.http_port, s);
  } else if (k == "http_port" || k == "monitor_port") {
    set_int(v, o.http_port, s);
  } else if (k == "cluster") {
    parse_cluster(v, o, s);
  } else if (k == "logfile" || k == "log_file") {
    get_str(v, o.log_file, s);
  } else if (k == "pidfile" || k == "pid_file") {
    get_str(v, o.pid_file, s);
  } else if (k == "max_control_line" || k == "max_payload") {
    int64_t n;
    if (!get_int(v, n, s)) return;
    if (n > 2147483647) {
      s.errors.push_back(v.where() + ": " + key + " value is too big");
      return;
    }
    if (k == "max_payload") {
      o.max_payload = static_cast<int32_t>(n);
    } else {
      o.max_control_line = static_cast<int32_t>(n);
    }
  } else if (k == "max_pending") {
    set_int(v, o.max_pending, s);
  } else if (k == "max_connections" || k == "max_conn") {
    set_int(v, o.max_connections, s);
  } else if (k == "max_subscriptions" || k == "max_subs") {
    set_int(v, o.max_subs, s);
  } else if (k == "ping_interval") {
    parse_duration_field("ping_interval", v, o.ping_interval_ns, s);
  } else if (k == "ping_max") {
    set_int(v, o.ping_max, s);
  } else if (k == "write_deadline") {
    parse_duration_field("write_deadline", v, o.write_deadline_ns, s);
  } else if (k == "tls") {
    s.errors.push_back(v.where() + ": TLS is not supported by ringnats");
  } else if (k == "shards") {
    set_int(v, o.shards, s);
  } else if (nats_key_we_ignore(k)) {
    s.ignored.push_back(key);
  } else {
    unknown_field(key, v, s);
  }
}

// ------------------------------------------------------------ flags

enum class FlagType { Bool, Int, String };

struct FlagDef {
  const char* name;
  FlagType type;
};

// Every flag nats-server 2.9 defines, plus ringnats' --shards.
constexpr FlagDef kFlags[] = {
    {"h", FlagType::Bool}, {"help", FlagType::Bool}, {"port", FlagType::Int}, {"p", FlagType::Int},
    {"n", FlagType::String}, {"name", FlagType::String}, {"server_name", FlagType::String},
    {"addr", FlagType::String}, {"a", FlagType::String}, {"net", FlagType::String},
    {"client_advertise", FlagType::String}, {"D", FlagType::Bool}, {"debug", FlagType::Bool},
    {"V", FlagType::Bool}, {"VV", FlagType::Bool}, {"trace", FlagType::Bool}, {"DV", FlagType::Bool},
    {"DVV", FlagType::Bool}, {"T", FlagType::Bool}, {"logtime", FlagType::Bool},
    {"user", FlagType::String}, {"pass", FlagType::String}, {"auth", FlagType::String},
    {"m", FlagType::Int}, {"http_port", FlagType::Int}, {"ms", FlagType::Int},
    {"https_port", FlagType::Int}, {"c", FlagType::String}, {"config", FlagType::String},
    {"t", FlagType::Bool}, {"sl", FlagType::String}, {"signal", FlagType::String},
    {"P", FlagType::String}, {"pid", FlagType::String}, {"ports_file_dir", FlagType::String},
    {"l", FlagType::String}, {"log", FlagType::String}, {"log_size_limit", FlagType::Int},
    {"s", FlagType::Bool}, {"syslog", FlagType::Bool}, {"r", FlagType::String},
    {"remote_syslog", FlagType::String}, {"version", FlagType::Bool}, {"v", FlagType::Bool},
    {"profile", FlagType::Int}, {"routes", FlagType::String}, {"cluster", FlagType::String},
    {"cluster_listen", FlagType::String}, {"cluster_advertise", FlagType::String},
    {"no_advertise", FlagType::Bool}, {"connect_retries", FlagType::Int},
    {"cluster_name", FlagType::String}, {"help_tls", FlagType::Bool}, {"tls", FlagType::Bool},
    {"tlsverify", FlagType::Bool}, {"tlscert", FlagType::String}, {"tlskey", FlagType::String},
    {"tlscacert", FlagType::String}, {"max_traced_msg_len", FlagType::Int}, {"js", FlagType::Bool},
    {"jetstream", FlagType::Bool}, {"sd", FlagType::String}, {"store_dir", FlagType::String},
    {"shards", FlagType::Int},
};

const FlagDef* find_flag(std::string_view name) {
  for (const FlagDef& f : kFlags)
    if (name == f.name) return &f;
  return nullptr;
}

struct FlagSet {
  std::string name, value;  // value already validated for the flag's type
  FlagType type;
};

struct ParsedArgs {
  std::vector<FlagSet> sets;  // in command-line order; later ones win
  std::vector<std::string> positional;
  std::string error;  // Go flag's message when parsing failed
};

ParsedArgs parse_go_flags(int argc, char** argv) {
  ParsedArgs pa;
  int i = 1;
  while (i < argc) {
    std::string s = argv[i];
    if (s.size() < 2 || s[0] != '-') break;
    size_t minuses = 1;
    if (s[1] == '-') {
      minuses = 2;
      if (s.size() == 2) {  // "--" ends the flags
        ++i;
        break;
      }
    }
    std::string name = s.substr(minuses);
    if (name.empty() || name[0] == '-' || name[0] == '=') {
      pa.error = "bad flag syntax: " + s;
      return pa;
    }
    ++i;
    bool has_value = false;
    std::string value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const FlagDef* def = find_flag(name);
    if (def == nullptr) {
      pa.error = "flag provided but not defined: -" + name;
      return pa;
    }
    if (def->type == FlagType::Bool) {
      bool b = true;
      if (has_value && !parse_go_bool(value, b)) {
        pa.error = "invalid boolean value " + go_quote(value) + " for -" + name + ": parse error";
        return pa;
      }
      value = b ? "true" : "false";
    } else {
      if (!has_value) {
        if (i >= argc) {
          pa.error = "flag needs an argument: -" + name;
          return pa;
        }
        value = argv[i++];
      }
      if (def->type == FlagType::Int) {
        int64_t n = 0;
        IntErr e = parse_go_int(value, n);
        if (e != IntErr::Ok) {
          pa.error = "invalid value " + go_quote(value) + " for flag -" + name + ": " +
                     (e == IntErr::Range ? "value out of range" : "parse error");
          return pa;
        }
        value = std::to_string(n);
      }
    }
    pa.sets.push_back(FlagSet{name, value, def->type});
  }
  for (; i < argc; ++i) pa.positional.emplace_back(argv[i]);
  return pa;
}

// Values of flags that are not plain option fields.
struct FlagState {
  bool show_help = false, show_version = false, show_tls_help = false, check_config = false;
  std::string config_file, signal, routes_str, cluster_listen;
  bool dv = false, vv = false, dvv = false;
  bool set_dv = false, set_vv = false, set_dvv = false, set_cluster = false, set_routes = false;
  bool tls_on = false, tls_any = false, tls_off = false;
};

void apply_flag(const FlagSet& f, Options& o, FlagState& st, std::vector<std::string>* ignored) {
  const std::string& n = f.name;
  const std::string& v = f.value;
  const bool b = v == "true";
  auto num = [&] { return std::strtoll(v.c_str(), nullptr, 10); };
  auto ignore_if = [&](bool active) {
    if (ignored != nullptr && active) ignored->push_back("--" + n);
  };
  if (n == "h" || n == "help") st.show_help = b;
  else if (n == "version" || n == "v") st.show_version = b;
  else if (n == "help_tls") st.show_tls_help = b;
  else if (n == "port" || n == "p") o.port = static_cast<int>(num());
  else if (n == "n" || n == "name" || n == "server_name") o.server_name = v;
  else if (n == "addr" || n == "a" || n == "net") o.host = v;
  else if (n == "client_advertise") o.client_advertise = v;
  else if (n == "D" || n == "debug") o.debug = b;
  else if (n == "V" || n == "trace") o.trace = b;
  else if (n == "VV") st.vv = b, st.set_vv = true;
  else if (n == "DV") st.dv = b, st.set_dv = true;
  else if (n == "DVV") st.dvv = b, st.set_dvv = true;
  else if (n == "T" || n == "logtime") o.logtime = b;
  else if (n == "user") o.username = v;
  else if (n == "pass") o.password = v;
  else if (n == "auth") o.auth_token = v;
  else if (n == "m" || n == "http_port") o.http_port = static_cast<int>(num());
  else if (n == "c" || n == "config") st.config_file = v;
  else if (n == "t") st.check_config = b;
  else if (n == "sl" || n == "signal") st.signal = v;
  else if (n == "P" || n == "pid") o.pid_file = v;
  else if (n == "l" || n == "log") o.log_file = v;
  else if (n == "routes") st.routes_str = v, st.set_routes = true;
  else if (n == "cluster" || n == "cluster_listen") st.cluster_listen = v, st.set_cluster = true;
  else if (n == "cluster_advertise") o.cluster.advertise = v;
  else if (n == "no_advertise") o.cluster.no_advertise = b;
  else if (n == "connect_retries") o.cluster.connect_retries = static_cast<int>(num());
  else if (n == "cluster_name") o.cluster.name = v;
  else if (n == "shards") o.shards = static_cast<int>(num());
  else if (n == "tls") st.tls_on = b, st.tls_off = !b;
  else if (n.rfind("tls", 0) == 0) st.tls_any = true;
  else if (f.type == FlagType::Bool) ignore_if(b);
  else if (f.type == FlagType::Int) ignore_if(num() != 0);
  else ignore_if(!v.empty());
}

// nats' handling of --cluster: a URL whose host:port becomes the cluster
// listen address and whose user:pass becomes cluster authorization.
bool override_cluster(const std::string& listen_in, ClusterOptions& c, std::string& err) {
  if (listen_in.empty()) {
    c.port = 0;  // an empty --cluster turns clustering off
    return true;
  }
  std::string listen = listen_in;
  bool random = false;
  if (listen.size() >= 3 && listen.compare(listen.size() - 3, 3, ":-1") == 0) {
    random = true;
    listen = listen.substr(0, listen.size() - 3) + ":0";
  }
  GoUrl u;
  if (!parse_go_url(listen, u, err)) return false;
  std::string host, port;
  if (!split_host_port(u.host, host, port, err)) return false;
  if (random) port = "-1";
  int64_t p = 0;
  if (port.empty()) {
    err = "EOF";
    return false;
  }
  IntErr e = parse_decimal(port, p);
  if (e == IntErr::Range) {
    err = "strconv.ParseInt: parsing " + go_quote(port) + ": value out of range";
    return false;
  }
  if (e != IntErr::Ok) {
    err = "expected integer";
    return false;
  }
  c.host = host;
  c.port = static_cast<int>(p);
  if (u.has_user) {
    if (!u.has_password) {
      err = "expected cluster password to be set";
      return false;
    }
    c.username = u.user;
    c.password = u.password;
  } else {
    c.username.clear();
    c.password.clear();
  }
  return true;
}

// The Options fields nats leaves at zero until it fills its defaults, so that
// "port: 0" in a file or "-p 0" means the default port, as in nats.
Options zeroed_options() {
  Options o;
  o.host.clear();
  o.port = 0;
  o.max_payload = 0;
  o.max_pending = 0;
  o.max_control_line = 0;
  o.max_connections = 0;
  o.ping_interval_ns = 0;
  o.ping_max = 0;
  o.write_deadline_ns = 0;
  o.auth_timeout_ns = 0;
  o.cluster.host.clear();
  o.cluster.auth_timeout_ns = 0;
  return o;
}

void fill_defaults(Options& o) {
  const Options d;
  if (o.host.empty()) o.host = d.host;
  if (o.http_host.empty()) o.http_host = o.host;
  if (o.port == 0) o.port = d.port;
  if (o.max_connections == 0) o.max_connections = d.max_connections;
  if (o.ping_interval_ns == 0) o.ping_interval_ns = d.ping_interval_ns;
  if (o.ping_max == 0) o.ping_max = d.ping_max;
  if (o.auth_timeout_ns == 0) o.auth_timeout_ns = d.auth_timeout_ns;
  if (o.cluster.host.empty()) o.cluster.host = d.cluster.host;
  if (o.cluster.auth_timeout_ns == 0) o.cluster.auth_timeout_ns = d.cluster.auth_timeout_ns;
  if (o.max_control_line == 0) o.max_control_line = d.max_control_line;
  if (o.max_payload == 0) o.max_payload = d.max_payload;
  if (o.max_pending == 0) o.max_pending = d.max_pending;
  if (o.write_deadline_ns == 0) o.write_deadline_ns = d.write_deadline_ns;
  o.cluster.enabled = o.cluster.port != 0;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

CliResult fail(std::string msg) {
  CliResult r;
  r.action = CliAction::Error;
  r.exit_code = 1;
  r.err = std::string(kProgramName) + ": " + msg + "\n";
  return r;
}

const char kUsage[] = R"(
Usage: ringnats [options]

Server Options:
    -a, --addr, --net <host>         Address to bind for clients (default: 0.0.0.0)
    -p, --port <port>                Client port (default: 4222, -1 for a random one)
    -n, --name
        --server_name <server_name>  Name of this server (default: its id)
    -P, --pid <file>                 Write the process id to this file
    -m, --http_port <port>           HTTP monitoring port
    -ms,--https_port <port>          HTTPS monitoring port (not supported, ignored)
    -c, --config <file>              Read options from this configuration file
    -t                               Check the configuration file and exit
    -sl,--signal <signal>[=<pid>]    Signal a running server (not supported; use kill)
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Directory for a ports file (ignored)
        --shards <n>                 io_uring shard threads (default: 0 = one per online CPU)

Logging Options:
    -l, --log <file>                 Append the log to this file instead of stderr
    -T, --logtime                    Put a timestamp on log lines (default: true)
    -s, --syslog                     Log to syslog (ignored)
    -r, --remote_syslog <addr>       Remote syslog address (ignored)
    -D, --debug                      Log debug messages
    -V, --trace                      Log the protocol traffic
    -VV                              Verbose trace (same as -V here)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace
        --log_size_limit <limit>     Log file size before rotation (ignored)
        --max_traced_msg_len <len>   Longest traced message (ignored)

JetStream Options:
    -js, --jetstream                 Enable JetStream (not supported, ignored)
    -sd, --store_dir <dir>           JetStream storage directory (ignored)

Authorization Options:
        --user <user>                Username clients must present
        --pass <password>            Password clients must present
        --auth <token>               Token clients must present

TLS Options:
        --tls                        Enable TLS (not supported)
        --tlscert <file>             Server certificate (not supported)
        --tlskey <file>              Server private key (not supported)
        --tlsverify                  Verify client certificates (not supported)
        --tlscacert <file>           CA for client certificates (not supported)

Cluster Options:
        --routes <rurl-1, rurl-2>    Comma separated routes to connect to
        --cluster <cluster-url>      Listen for routes on this URL (nats://host:port)
        --cluster_name <string>      Cluster name (default: generated)
        --no_advertise <bool>        Do not tell clients about other servers
        --cluster_advertise <string> Route URL to advertise to other servers
        --connect_retries <number>   Connect retries for implicit routes
        --cluster_listen <url>       Same as --cluster

Profiling Options:
        --profile <port>             Profiling HTTP port (ignored)

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show the version
        --help_tls                   TLS help
)";

}  // namespace

const std::string& usage_text() {
  static const std::string text(kUsage);
  return text;
}

void apply_config(const conf::ConfValue& root, Options& opts, std::vector<std::string>& errors,
                  std::vector<std::string>& warnings, std::vector<std::string>& ignored) {
  Sink s{errors, warnings, ignored};
  for (size_t n = 0; n < root.keys.size(); ++n) {
    s.aborted = false;
    apply_top_key(root.keys[n], root.items[n], opts, s);
  }
}

CliResult parse_cli(int argc, char** argv, Options& out) {
  CliResult r;
  ParsedArgs pa = parse_go_flags(argc, argv);
  if (!pa.error.empty()) {
    // Go's flag package reports, then shows usage, and nats exits 0.
    r.action = CliAction::Help;
    r.err = pa.error + "\n";
    r.out = usage_text() + "\n";
    return r;
  }

  Options o = zeroed_options();
  FlagState st;
  for (const FlagSet& f : pa.sets) apply_flag(f, o, st, nullptr);

  if (st.show_version) {
    r.action = CliAction::Version;
    r.out = std::string(kProgramName) + ": v" RINGNATS_VERSION "\n";
    return r;
  }
  if (st.show_help) {
    r.action = CliAction::Help;
    r.out = usage_text() + "\n";
    return r;
  }
  if (st.show_tls_help) {
    r.action = CliAction::Help;
    r.out = "TLS is not supported by ringnats; put a TLS terminating proxy in front of it.\n";
    return r;
  }
  if (!pa.positional.empty()) {
    std::string cmd = lower(pa.positional[0]);
    if (cmd == "version") {
      r.action = CliAction::Version;
      r.out = std::string(kProgramName) + ": v" RINGNATS_VERSION "\n";
      return r;
    }
    if (cmd == "help") {
      r.action = CliAction::Help;
      r.out = usage_text() + "\n";
      return r;
    }
    return fail("unrecognized command: " + go_quote(pa.positional[0]));
  }
  if (!st.signal.empty()) return fail("sending signals (--signal) is not supported, use kill(1)");

  std::string warning_text;
  if (!st.config_file.empty()) {
    conf::ConfParseResult pr = conf::parse_conf_file(st.config_file);
    if (!pr.ok) return fail(pr.error);
    std::vector<std::string> errors, warnings;
    apply_config(pr.root, o, errors, warnings, r.ignored);
    if (!errors.empty() || (!warnings.empty() && st.check_config))
      return fail(joined(warnings) + joined(errors));
    warning_text = joined(warnings);
    if (st.check_config) {
      r.action = CliAction::TestConfigOk;
      r.err = std::string(kProgramName) + ": configuration file " + st.config_file + " is valid\n";
      return r;
    }
    // Flags win over the file: apply them again on top of it.
    st = FlagState{};
    for (const FlagSet& f : pa.sets) apply_flag(f, o, st, &r.ignored);
  } else {
    if (st.check_config) return fail("must specify [-c, --config] option to check configuration file syntax");
    st = FlagState{};
    for (const FlagSet& f : pa.sets) apply_flag(f, o, st, &r.ignored);
  }

  // Combined switches override the single ones, whatever their position.
  if (st.set_dv) o.debug = o.trace = st.dv;
  if (st.set_dvv) o.debug = o.trace = st.dvv;
  if (st.set_vv) o.trace = st.vv;
  if (st.set_cluster) {
    std::string err;
    if (!override_cluster(st.cluster_listen, o.cluster, err)) return fail(err);
  }
  if (st.set_routes) {
    o.cluster.routes.clear();
    if (!st.routes_str.empty()) {
      size_t start = 0;
      for (;;) {
        size_t comma = st.routes_str.find(',', start);
        o.cluster.routes.push_back(trim(st.routes_str.substr(start, comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  if ((st.tls_on || st.tls_any) && !st.tls_off) return fail("TLS is not supported by ringnats");
  if (!st.routes_str.empty() && st.cluster_listen.empty() && o.cluster.host.empty() && o.cluster.port == 0)
    return fail("solicited routes require cluster capabilities, e.g. --cluster");

  fill_defaults(o);
  if (o.max_payload > o.max_pending)
    return fail("max_payload (" + std::to_string(o.max_payload) + ") cannot be higher than max_pending (" +
                std::to_string(o.max_pending) + ")");
  if (o.shards < 0) return fail("shards must be 0 (one per CPU) or more, got " + std::to_string(o.shards));

  o.config_file = st.config_file;
  out = std::move(o);
  r.action = CliAction::Run;
  r.err = warning_text;
  return r;
}

int finish_cli(const CliResult& r) {
  if (!r.err.empty()) {
    std::fputs(r.err.c_str(), stderr);
    std::fflush(stderr);
  }
  if (!r.out.empty()) {
    std::fputs(r.out.c_str(), stdout);
    std::fflush(stdout);
  }
  return r.action == CliAction::Run ? -1 : r.exit_code;
}

CliAction parse_command_line(int argc, char** argv, Options& out, std::string& message) {
  CliResult r = parse_cli(argc, argv, out);
  message = r.err + r.out;
  return r.action;
}

}  // namespace ringnats
