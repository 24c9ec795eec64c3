// nats-server 2.9 compatible command line: Go `flag` syntax over the same flag
// names, then the config file, then the flags again so they win, then nats'
// defaults and checks. Messages and streams mirror nats-server's main.
#include "config/flags.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config/apply_config.h"
#include "config/go_compat.h"
#include "config/tls_config.h"
#include "config/unsupported.h"
#include "config/users_config.h"

namespace ringnats {
namespace {

using conf::go_quote;
using namespace golang;

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
  // TLS flags, as nats: any of them replaces the config file's `tls` (the
  // file's timeout stays), unless --tls=false turns TLS off altogether
  // (nats visits "tls" before the other tls* flags, so it wins).
  bool tls_any = false, tls_off = false, tls_verify = false;
  std::string tls_cert, tls_key, tls_ca;
  std::string refused;  // the first other flag ringnats refuses (--https_port)
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
  else if (n == "m" || n == "http_port") {
    o.http_port = static_cast<int>(num());
  } else if (n == "ms" || n == "https_port") {
    o.security.https_port = static_cast<int>(num());
  } else if (n == "c" || n == "config") st.config_file = v;
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
  else if (n == "js" || n == "jetstream") o.jetstream.enabled = b;
  else if (n == "sd" || n == "store_dir") o.jetstream.store_dir = v;
  else if (n == "tls") st.tls_any = true, st.tls_off = !b;
  else if (n == "tlscert") st.tls_any = true, st.tls_cert = v;
  else if (n == "tlskey") st.tls_any = true, st.tls_key = v;
  else if (n == "tlscacert") st.tls_any = true, st.tls_ca = v;
  else if (n == "tlsverify") st.tls_any = true, st.tls_verify = b; else if (f.type == FlagType::Bool) ignore_if(b);
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

// The line for a refused flag, e.g. "--tlscert is not supported by ringnats: ...".
std::string refused_flag(const std::string& name, std::string_view why) {
  return "--" + name + " is not supported by ringnats: " + std::string(why);
}

// A password without a user requires nothing in nats-server; refuse it.
std::string password_without_user(const char* what, const char* who) {
  return std::string(what) + " has a password but no user: nats-server would then let " + who +
         " in without credentials, so ringnats refuses it; set the user too";
}

}  // namespace

// nats-streaming-server's own flags: a guide for it gets told what replaced
// it rather than a usage text.
bool streaming_flag(std::string_view e) {
  constexpr std::string_view kPrefix = "flag provided but not defined: -";
  if (!e.starts_with(kPrefix)) return false;
  std::string_view n = e.substr(kPrefix.size());
  for (std::string_view f : {"store", "dir", "clustered", "cluster_node_id", "cluster_peers", "cluster_id", "cid",
                             "sc", "stan_config", "SD", "SV", "SDV", "stan_debug", "stan_trace", "ft_group",
                             "cluster_bootstrap", "cluster_log_path", "cluster_raft_logging", "mc", "max_channels",
                             "msu", "max_subs", "mm", "max_msgs", "mb", "max_bytes", "ma", "max_age", "hbi",
                             "hbt", "hbf", "file_sync", "nats_server", "ns", "encrypt", "encryption_key"})
    if (n == f) return true;
  return false;
}

CliResult parse_cli(int argc, char** argv, Options& out) {
  CliResult r;
  ParsedArgs pa = parse_go_flags(argc, argv);
  if (!pa.error.empty() && streaming_flag(pa.error)) {
    r.action = CliAction::Error;
    r.exit_code = 1;
    r.err = pa.error + "\n" + std::string(kStreamingAdvice) + "\n";
    return r;
  }
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
    r.out =
        "\nTLS Server Options:\n"
        "    --tls                        Enable TLS, do not verify clients (default: false)\n"
        "    --tlscert <file>             Server certificate file\n"
        "    --tlskey <file>              Private key for server certificate\n"
        "    --tlsverify                  Enable TLS, verify client certificates\n"
        "    --tlscacert <file>           Client certificate CA for verification\n\n";
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
  if (!st.signal.empty()) {
    r.action = CliAction::Signal;
    r.signal = st.signal;
    return r;
  }

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
  if (st.tls_off) {
    o.security.tls = TlsOptions{};
  } else if (st.tls_any) {
    if (st.tls_cert.empty()) return fail("TLS Server certificate must be present and valid");
    if (st.tls_key.empty()) return fail("TLS Server private key must be present and valid");
    TlsOptions t;
    t.enabled = true;
    t.cert_file = st.tls_cert;
    t.key_file = st.tls_key;
    t.ca_file = st.tls_ca;
    t.verify = st.tls_verify;
    t.timeout_ns = o.security.tls.timeout_ns;
    t.allow_non_tls = o.security.tls.allow_non_tls;
    std::string e = tlsconf::check_files(t);
    if (!e.empty()) return fail(e);
    o.security.tls = std::move(t);
  }
  if (!st.refused.empty()) return fail(refused_flag(st.refused, unsupported::kWhyTls));
  if (!st.routes_str.empty() && st.cluster_listen.empty() && o.cluster.host.empty() && o.cluster.port == 0)
    return fail("solicited routes require cluster capabilities, e.g. --cluster");

  fill_defaults(o);
  if (o.max_payload > o.max_pending)
    return fail("max_payload (" + std::to_string(o.max_payload) + ") cannot be higher than max_pending (" +
                std::to_string(o.max_pending) + ")");
  if (o.shards < 0) return fail("shards must be 0 (one per CPU) or more, got " + std::to_string(o.shards));
  if (o.username.empty() && !o.password.empty() && o.auth_token.empty())
    return fail(password_without_user("client authorization (--pass)", "every client"));
  if (o.cluster.username.empty() && !o.cluster.password.empty())
    return fail(password_without_user("cluster authorization", "every route"));

  // nats validates these when it creates the server (after -t).
  if (std::string e = validate_users(o); !e.empty()) return fail(e);

  o.config_file = st.config_file;
  out = std::move(o);
  r.action = CliAction::Run;
  r.err = warning_text;
  return r;
}

int finish_cli(const CliResult& r) {
  if (!r.err.empty()) {
    std::fwrite(r.err.data(), 1, r.err.size(), stderr);  // a parse error may hold a NUL, as nats' does
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
