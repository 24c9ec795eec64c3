// Config reload (see reload.h). The option names in the log and in the
// refusal are nats-server's: config keys for what it reloads, Go field names
// for what it refuses.
#include "ops/reload.h"

#include <cstdio>

#include "config/flags.h"
#include "core/cluster_hooks.h"
#include "core/log.h"
#include "core/server.h"
#include "monitor/go_format.h"

namespace ringnats::ops {

namespace {

std::string b(bool v) { return v ? "true" : "false"; }
std::string dur(int64_t ns) { return monitor::go_duration(ns); }
// Go's %v of a float64: shortest form, no trailing zeros ("3", "2.5").
std::string go_float(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

template <class T>
std::string str(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) return v;
  else return std::to_string(v);
}

// The accounts and what links them, as one comparable text. Account ids are
// fixed for the life of the process (every shard's index is laid out by
// them), so any change here is a restart.
std::string accounts_shape(const SecurityOptions& s) {
  std::string out;
  for (const AccountOptions& a : s.accounts) {
    out.append("A ").append(a.name).append("\n");
    for (const StreamExport& e : a.stream_exports) {
      out.append(" se ").append(e.subject);
      for (const std::string& n : e.accounts) out.append(" ").append(n);
      out.append("\n");
    }
    for (const ServiceExport& e : a.service_exports) {
      out.append(" sx ").append(e.subject).append(" ").append(std::to_string(static_cast<int>(e.response_type)));
      out.append(" ").append(std::to_string(e.response_threshold_ns));
      for (const std::string& n : e.accounts) out.append(" ").append(n);
      out.append("\n");
    }
    for (const StreamImport& i : a.stream_imports)
      out.append(" si ").append(i.account).append(" ").append(i.subject).append(" ").append(i.prefix).append(" ").append(i.to).append("\n");
    for (const ServiceImport& i : a.service_imports)
      out.append(" vi ").append(i.account).append(" ").append(i.subject).append(" ").append(i.to).append("\n");
  }
  out.append("S ").append(s.system_account);
  return out;
}

// A user that stays but moves to another account: its connected clients'
// subscriptions live in the old account's index, so that is a restart too.
bool user_moved_account(const SecurityOptions& o, const SecurityOptions& n) {
  for (const User& a : o.users)
    for (const User& z : n.users)
      if (a.name == z.name && a.nkey == z.nkey && a.account != z.account) return true;
  return false;
}

bool same_subjects(const SubjectPermission& a, const SubjectPermission& z) {
  return a.set == z.set && a.allow == z.allow && a.deny == z.deny;
}
bool same_perms(const std::shared_ptr<const Permissions>& a, const std::shared_ptr<const Permissions>& z) {
  if (!a || !z) return !a && !z;
  return same_subjects(a->publish, z->publish) && same_subjects(a->subscribe, z->subscribe) &&
         a->allow_responses == z->allow_responses && a->responses.max == z->responses.max &&
         a->responses.expires_ns == z->responses.expires_ns;
}
// nats' reflect.DeepEqual of its Users (nkeys: true) or Nkeys lists.
bool same_users(const std::vector<User>& a, const std::vector<User>& z, bool nkeys) {
  std::vector<const User*> x, y;
  for (const User& u : a)
    if (u.nkey.empty() != nkeys) x.push_back(&u);
  for (const User& u : z)
    if (u.nkey.empty() != nkeys) y.push_back(&u);
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i]->name != y[i]->name || x[i]->password != y[i]->password || x[i]->nkey != y[i]->nkey ||
        x[i]->account != y[i]->account || x[i]->allowed_connection_types != y[i]->allowed_connection_types ||
        !same_perms(x[i]->permissions, y[i]->permissions))
      return false;
  return true;

}

bool same_tls(const TlsOptions& a, const TlsOptions& z) {
  return a.enabled == z.enabled && a.cert_file == z.cert_file && a.key_file == z.key_file &&
         a.ca_file == z.ca_file && a.verify == z.verify && a.verify_and_map == z.verify_and_map &&
         a.timeout_ns == z.timeout_ns && a.cipher_suites == z.cipher_suites &&
         a.curve_preferences == z.curve_preferences && a.insecure == z.insecure &&
         a.allow_non_tls == z.allow_non_tls;
}

}  // namespace

std::vector<std::string> reload_changes(const Options& o, const Options& n, std::string& refused) {
  // Refused first, in nats' order of Options fields.
  auto fixed = [&](const char* field, const auto& a, const auto& z) {
    if (refused.empty() && !(a == z))
      refused = std::string("config reload not supported for ") + field + ": old=" + str(a) +
                ", new=" + str(z);
  };
  fixed("ServerName", o.server_name, n.server_name);
  fixed("Host", o.host, n.host);
  fixed("Port", o.port, n.port);
  fixed("ClientAdvertise", o.client_advertise, n.client_advertise);
  fixed("MaxSubs", o.max_subs, n.max_subs);
  fixed("HTTPHost", o.http_host, n.http_host);
  fixed("HTTPPort", o.http_port, n.http_port);
  fixed("HTTPBasePath", o.http_base_path, n.http_base_path);
  fixed("PidFile", o.pid_file, n.pid_file);
  fixed("Shards", o.shards, n.shards);
  // nats lets no_auth_user go only while its user stays listed.
  const std::string &onau = o.security.no_auth_user, &nnau = n.security.no_auth_user;
  if (onau != nnau) {
    bool kept = false;
    if (!onau.empty() && nnau.empty())
      for (const User& u : n.security.users) kept = kept || (u.nkey.empty() && u.name == onau);
    if (!kept) fixed("NoAuthUser", onau, nnau);
  }
  // TLS contexts are built once at start: a change needs a restart (nats
  // reloads the client tls block; ringnats refuses, and keeps the old one).
  if (refused.empty() && !same_tls(o.security.tls, n.security.tls))
    refused = "config reload not supported for TLSConfig: restart ringnats to change the tls block";
  // Cluster: only its routes may change, and only on a server that runs
  // one (turning clustering on or off is a restart).
  if (refused.empty() &&
      (accounts_shape(o.security) != accounts_shape(n.security) || user_moved_account(o.security, n.security)))
    refused = "config reload not supported for Accounts: ringnats lays out its subscription index by "
              "account at start; restart to change accounts, their exports and imports, or which account "
              "a user belongs to";
  const ClusterOptions &oc = o.cluster, &nc = n.cluster;
  bool had_cluster = oc.enabled || !oc.routes.empty(), has_cluster = nc.enabled || !nc.routes.empty();
  if (refused.empty() &&
      (had_cluster != has_cluster || oc.enabled != nc.enabled || oc.name != nc.name || oc.host != nc.host ||
       oc.port != nc.port || oc.advertise != nc.advertise || oc.no_advertise != nc.no_advertise ||
       oc.username != nc.username || oc.password != nc.password ||
       oc.connect_retries != nc.connect_retries || oc.auth_timeout_ns != nc.auth_timeout_ns ||
       !same_tls(o.security.cluster_tls, n.security.cluster_tls)))
    refused = "config reload not supported for Cluster";

  std::vector<std::string> out;
  auto changed = [&](const char* key, bool differs, const std::string& value) {
    if (differs) out.push_back(std::string("Reloaded: ") + key + (value.empty() ? "" : " = " + value));
  };
  // In the order of nats-server's Options fields, as its reload logs them.
  changed("trace", o.trace != n.trace, b(n.trace));
  changed("debug", o.debug != n.debug, b(n.debug));
  changed("logtime", o.logtime != n.logtime, b(n.logtime));
  changed("max_connections", o.max_connections != n.max_connections, str(n.max_connections));
  changed("authorization nkey users", !same_users(o.security.users, n.security.users, true), "");
  changed("authorization users", !same_users(o.security.users, n.security.users, false), "");
  changed("authorization username", o.username != n.username, "");
  changed("authorization password", o.password != n.password, "");
  changed("authorization token", o.auth_token != n.auth_token, "");
  changed("ping_interval", o.ping_interval_ns != n.ping_interval_ns, dur(n.ping_interval_ns));
  changed("ping_max", o.ping_max != n.ping_max, str(n.ping_max));
  changed("authorization timeout", o.auth_timeout_ns != n.auth_timeout_ns,
          go_float(static_cast<double>(n.auth_timeout_ns) / 1e9));
  changed("max_control_line", o.max_control_line != n.max_control_line, str(n.max_control_line));
  changed("max_payload", o.max_payload != n.max_payload, str(n.max_payload));
  changed("max_pending", o.max_pending != n.max_pending, str(n.max_pending));
  changed("log_file", o.log_file != n.log_file, n.log_file);
  changed("cluster routes", oc.routes != nc.routes, "");
  changed("write_deadline", o.write_deadline_ns != n.write_deadline_ns, dur(n.write_deadline_ns));
  changed("lame_duck_duration", o.lame_duck_duration_ns != n.lame_duck_duration_ns, dur(n.lame_duck_duration_ns));
  changed("lame_duck_grace_period", o.lame_duck_grace_period_ns != n.lame_duck_grace_period_ns,
          dur(n.lame_duck_grace_period_ns));
  return out;
}

bool reload(Server& srv, int argc, char** argv, std::string& err) {
  Options next;
  CliResult cli = parse_cli(argc, argv, next);
  if (cli.action != CliAction::Run) {
    err = cli.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    // nats' parse errors come without the program name.
    std::string prefix = std::string(kProgramName) + ": ";
    if (err.rfind(prefix, 0) == 0) err = err.substr(prefix.size());
    return false;
  }
  Options cur = srv.opts_snapshot();
  std::string refused;
  std::vector<std::string> changes = reload_changes(cur, next, refused);
  if (!refused.empty()) {
    err = refused;
    return false;
  }
  if (cur.debug != next.debug || cur.trace != next.trace || cur.logtime != next.logtime ||
      cur.log_file != next.log_file) {
    std::string log_err;
    if (!log::init(next, &log_err)) {
      err = log_err;
      log::init(cur);
      return false;
    }
  }
  if (!srv.replace_options(next)) {
    log::init(cur);  // the log took the new settings above: undo that too
    err = "the shards did not answer in time";
    return false;
  }
  if (cur.cluster.routes != next.cluster.routes)
    if (ClusterHooks* cl = srv.cluster()) cl->reload_routes(next.cluster.routes);
  for (const auto& c : changes) log::notice("%s", c.c_str());
  log::notice("Reloaded server configuration");
  return true;
}

}  // namespace ringnats::ops
