// Maps a parsed nats-server config tree onto Options, key by key as nats'
// ProcessConfigFile does: same keys and aliases, same error texts with
// "file:line:col"; what ringnats does not implement goes to unsupported.cc.
#include "config/apply_config.h"

#include <cstdint>

#include "auth/password.h"
#include "config/accounts_config.h"
#include "config/config_sink.h"
#include "config/go_compat.h"
#include "config/jetstream_config.h"
#include "config/tls_config.h"
#include "config/unsupported.h"
#include "config/users_config.h"

namespace ringnats {

void confparse::parse_duration_field(const std::string& field, const conf::ConfValue& v, int64_t& out,
                                     confparse::Sink& s) {
  using namespace confparse;

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
  // Go's time.Duration(n) * time.Second wraps; so do we (signed overflow
  // would be undefined behaviour).
  if (get_int(v, n, s)) out = static_cast<int64_t>(static_cast<uint64_t>(n) * static_cast<uint64_t>(kSecond));
}


namespace {

using namespace confparse;

using conf::ConfKind;
using conf::ConfValue;
using conf::go_quote;
using namespace golang;

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
struct Auth {
  std::string user, pass, token;
  int64_t timeout_ns = 0;
  bool has_users = false;
  std::vector<User> users;                           // top level only
  std::shared_ptr<const Permissions> default_perms;  // top level only
};

// An authorization block. At the top level: a single user/password or
// token, or a users list (users_config.cc) with default permissions. In the
// cluster block (`cluster` true) users lists and permissions stay refused.
// `path` names the block in messages ("authorization", "cluster.authorization").
bool parse_auth(const ConfValue& v, const std::string& path, Auth& a, Sink& s, bool cluster) {
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
      double ns = secs * 1e9;  // clamped: an out-of-range cast is undefined
      a.timeout_ns = !(ns > -9.2e18) ? INT64_MIN : ns >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(ns);
    } else if (k == "users" && cluster) {
      a.has_users = true;
      s.errors.push_back(unsupported::refusal(mv, path + "." + v.keys[n], unsupported::kWhyUsers));
    } else if (k == "users") {
      // nats: a list it cannot read is an error and leaves no users.
      std::vector<User> users;
      bool parsed = confparse::parse_users_list(mv, "", users, s);
      s.aborted = false;  // nats recovers inside parseUsers
      if (parsed) {
        a.has_users = true;
        a.users = std::move(users);
      }
    } else if ((k == "default_permission" || k == "default_permissions" || k == "permissions") && cluster) {
      s.errors.push_back(unsupported::refusal(mv, path + "." + v.keys[n], unsupported::kWhyPermissions));
    } else if (k == "default_permission" || k == "default_permissions" || k == "permissions") {
      if (auto p = confparse::parse_permissions(mv, s)) a.default_perms = std::move(p);
    } else {
      unknown_field(v.keys[n], mv, s);
    }
    if (s.aborted) return false;
  }
  return true;
}

// nats-server requires nothing from clients (or routes) when a password is set
// without a user; ringnats refuses that rather than run open by surprise.
void refuse_password_without_user(const ConfValue& v, const std::string& path, const Auth& a, Sink& s) {
  if (a.user.empty() && !a.pass.empty() && a.token.empty())
    s.errors.push_back(v.where() + ": " + go_quote(path) +
                       " has a password but no user: nats-server would then let everyone in without "
                       "credentials, so ringnats refuses it; set the user too");
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

void parse_cluster(const std::string& key, const ConfValue& v, Options& o, Sink& s) {
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
      const std::string path = key + "." + v.keys[n];
      if (!parse_auth(mv, path, a, s, true)) {
        nil_auth_error(mv, s);
        return;
      }
      refuse_password_without_user(mv, path, a, s);
      if (a.has_users) {
        s.errors.push_back(mv.where() + ": Cluster authorization does not allow multiple users");
        continue;
      }
      if (!a.token.empty()) {
        s.errors.push_back(mv.where() + ": Cluster authorization does not support tokens");
        continue;
      }
      if (auth::is_bcrypt(a.pass)) {
        s.errors.push_back(unsupported::refusal(mv, path + ".password", unsupported::kWhyRouteBcrypt));
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
      tlsconf::parse_tls_block(mv, key + "." + v.keys[n], true, o.security.cluster_tls, s);
    } else if (k == "permissions") {
      s.errors.push_back(unsupported::refusal(mv, key + "." + v.keys[n], unsupported::kWhyClusterPermissions));
    } else {
      unknown_field(v.keys[n], mv, s);
    }
    if (s.aborted) return;
  }
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
    if (!parse_auth(v, key, a, s, false)) {
      nil_auth_error(v, s);
      return;
    }
    refuse_password_without_user(v, key, a, s);
    o.username = a.user;
    o.password = a.pass;
    o.auth_token = a.token;
    o.auth_timeout_ns = a.timeout_ns;
    if ((!a.user.empty() || !a.pass.empty()) && !a.token.empty()) {
      s.errors.push_back(v.where() + ": Cannot have a user/pass and token");
      return;
    }
    // Users lists (and users an accounts block added before): as nats'
    // checks in ProcessConfigFile, reported at the authorization block.
    if (a.has_users || !o.security.users.empty()) {
      if (!a.user.empty()) {
        s.errors.push_back(v.where() + ": Can not have a single user/pass and a users array");
        return;
      }
      if (!a.token.empty()) {
        s.errors.push_back(v.where() + ": Can not have a token and a users array");
        return;
      }
      if (!confparse::check_duplicate_users(o.security.users, a.users, v, s)) return;
      confparse::apply_default_permissions(a.users, a.default_perms);
      for (User& u : a.users) o.security.users.push_back(std::move(u));
    }
    // nats applies these only to the users listed here; with a single user,
    // a token or nobody it drops them, so everyone may do everything.
    // Refused rather than ignored.
    if (a.default_perms && a.users.empty())
      s.errors.push_back(v.where() + ": " + go_quote(key) +
                         " has permissions but no users list: nats-server would ignore them and let every "
                         "client publish and subscribe to every subject, so ringnats refuses them; list the "
                         "users they apply to");
    o.security.default_permissions = a.default_perms;
  } else if (k == "no_auth_user") {
    get_str(v, o.security.no_auth_user, s);
  } else if (k == "system_account" || k == "system") {
    // Which account is the system's. ringnats publishes no $SYS events: it is
    // an account like the others, kept apart like the others.
    get_str(v, o.security.system_account, s);
  } else if (k == "accounts") {
    parse_accounts(v, key, o, s);
  } else if (k == "http") {
    parse_listen(v, o.http_host, o.http_port, s);
  } else if (k == "https") {
    parse_listen(v, o.http_host, o.security.https_port, s);
  } else if (k == "https_port") {
    set_int(v, o.security.https_port, s);
  } else if (k == "http_port" || k == "monitor_port") {
    set_int(v, o.http_port, s);
  } else if (k == "http_base_path") {
    get_str(v, o.http_base_path, s);
  } else if (k == "cluster") {
    parse_cluster(key, v, o, s);
  } else if (k == "tls") {
    bool allow = o.security.tls.allow_non_tls;
    tlsconf::parse_tls_block(v, key, false, o.security.tls, s);
    o.security.tls.allow_non_tls = allow;
  } else if (k == "allow_non_tls") {
    get_bool(v, o.security.tls.allow_non_tls, s);
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
  } else if (k == "lame_duck_duration" || k == "lame_duck_grace_period") {
    // nats takes only a duration string here (an int fails its type assertion).
    bool duration = k == "lame_duck_duration";
    if (v.kind != ConfKind::String) {
      const char* go_type = v.kind == ConfKind::Int     ? "int64"
                            : v.kind == ConfKind::Float ? "float64"
                            : v.kind == ConfKind::Bool  ? "bool"
                            : v.kind == ConfKind::Array ? "[]interface {}"
                            : v.kind == ConfKind::Datetime ? "time.Time"
                                                           : "map[string]interface {}";
      s.errors.push_back(v.where() + ": interface conversion: interface {} is " + go_type + ", not string");
      return;
    }
    int64_t ns = 0;
    std::string err;
    if (!conf::parse_go_duration(v.str, ns, err)) {
      s.errors.push_back(v.where() + ": error parsing " + std::string(k) + ": " + err);
    } else if (duration && ns < 30 * kSecond) {
      s.errors.push_back(v.where() + ": invalid lame_duck_duration of " + v.str + ", minimum is 30 seconds");
    } else if (!duration && ns < 0) {
      s.errors.push_back(v.where() + ": invalid lame_duck_grace_period, needs to be positive");
    } else {
      (duration ? o.lame_duck_duration_ns : o.lame_duck_grace_period_ns) = ns;
    }
  } else if (k == "shards") {
    set_int(v, o.shards, s);
  } else if (k == "jetstream") {
    parse_jetstream(v, o, s);
  } else if (k == "store_dir" || k == "storedir") {
    parse_store_dir(v, o, s);
  } else if (unsupported::check_top_key(key, v, s.errors, s.ignored)) {
    // refused (an error line) or ignored (a startup warning), see unsupported.cc
  } else {
    unknown_field(key, v, s);
  }
}

}  // namespace

void apply_config(const conf::ConfValue& root, Options& opts, std::vector<std::string>& errors,
                  std::vector<std::string>& warnings, std::vector<std::string>& ignored) {
  Sink s{errors, warnings, ignored};
  for (size_t n = 0; n < root.keys.size(); ++n) {
    s.aborted = false;
    apply_top_key(root.keys[n], root.items[n], opts, s);
  }
}

}  // namespace ringnats
