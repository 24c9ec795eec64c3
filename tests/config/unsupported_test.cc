// Tests for the options ringnats does not implement (config/unsupported): every
// top-level key nats-server 2.9 knows is implemented, refused or ignored; each
// refused option and flag fails with its location and reason, under -t too;
// each ignored one starts and is reported for the startup warning.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/unsupported.h"
#include "tests/config/cli_util.h"
#include "tests/config/test_util.h"

using namespace ringnats;
using namespace ringnats::testing;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::string why(std::string_view w) { return std::string(w); }

// The whole stderr for a config whose second line is refused.
std::string refused_line(const std::string& file, const std::string& pos, const std::string& path,
                         std::string_view reason) {
  return "ringnats: " + file + ":" + pos + ": \"" + path + "\" is not supported by ringnats: " + why(reason) + "\n\n";
}

enum class Verdict { Implemented, Refused, Ignored };

struct KeyCase {
  const char* key;
  const char* value;  // written as "key<value>"
  Verdict verdict;
};

// Every top-level key (and alias) nats-server 2.9.10's ProcessConfigFile
// accepts, with a value it would take, and what ringnats does with it.
const KeyCase kNatsTopLevelKeys[] = {
    {"listen", ": 127.0.0.1:4333", Verdict::Implemented},
    {"client_advertise", ": \"h:1\"", Verdict::Implemented},
    {"port", ": 4333", Verdict::Implemented},
    {"server_name", ": s", Verdict::Implemented},
    {"host", ": 127.0.0.1", Verdict::Implemented},
    {"net", ": 127.0.0.1", Verdict::Implemented},
    {"debug", ": true", Verdict::Implemented},
    {"trace", ": true", Verdict::Implemented},
    {"trace_verbose", ": true", Verdict::Implemented},
    {"logtime", ": false", Verdict::Implemented},
    {"mappings", " { foo: bar }", Verdict::Refused},
    {"maps", " { foo: bar }", Verdict::Refused},
    {"disable_sublist_cache", ": true", Verdict::Ignored},
    {"no_sublist_cache", ": true", Verdict::Ignored},
    {"accounts", " {}", Verdict::Implemented},
    {"authorization", " { user: u, password: p }", Verdict::Implemented},
    {"http", ": 8222", Verdict::Implemented},
    {"https", ": 8443", Verdict::Implemented},
    {"http_port", ": 8222", Verdict::Implemented},
    {"monitor_port", ": 8222", Verdict::Implemented},
    {"https_port", ": 8443", Verdict::Implemented},
    {"http_base_path", ": /x", Verdict::Implemented},
    {"cluster", " { listen: 127.0.0.1:6222 }", Verdict::Implemented},
    {"gateway", " { name: g, port: 7222 }", Verdict::Ignored},
    {"leaf", " { port: 7422 }", Verdict::Ignored},
    {"leafnodes", " { port: 7422 }", Verdict::Ignored},
    {"store_dir", ": /tmp/js", Verdict::Implemented},
    {"storedir", ": /tmp/js", Verdict::Implemented},
    {"jetstream", " { max_mem: 1G }", Verdict::Implemented},
    {"logfile", ": /tmp/x.log", Verdict::Implemented},
    {"log_file", ": /tmp/x.log", Verdict::Implemented},
    {"logfile_size_limit", ": 1MB", Verdict::Ignored},
    {"log_size_limit", ": 1MB", Verdict::Ignored},
    {"syslog", ": true", Verdict::Ignored},
    {"remote_syslog", ": \"udp://127.0.0.1:514\"", Verdict::Ignored},
    {"pidfile", ": /tmp/x.pid", Verdict::Implemented},
    {"pid_file", ": /tmp/x.pid", Verdict::Implemented},
    {"ports_file_dir", ": /tmp", Verdict::Ignored},
    {"prof_port", ": 6060", Verdict::Ignored},
    {"max_control_line", ": 2KB", Verdict::Implemented},
    {"max_payload", ": 512KB", Verdict::Implemented},
    {"max_pending", ": 32MB", Verdict::Implemented},
    {"max_connections", ": 10", Verdict::Implemented},
    {"max_conn", ": 10", Verdict::Implemented},
    {"max_traced_msg_len", ": 10", Verdict::Ignored},
    {"max_subscriptions", ": 10", Verdict::Implemented},
    {"max_subs", ": 10", Verdict::Implemented},
    {"max_sub_tokens", ": 10", Verdict::Ignored},
    {"max_subscription_tokens", ": 10", Verdict::Ignored},
    {"ping_interval", ": \"1m\"", Verdict::Implemented},
    {"ping_max", ": 3", Verdict::Implemented},
    {"tls", " { }", Verdict::Implemented},
    {"ocsp", ": true", Verdict::Refused},
    {"allow_non_tls", ": true", Verdict::Implemented},
    {"write_deadline", ": \"5s\"", Verdict::Implemented},
    {"lame_duck_duration", ": \"1m\"", Verdict::Implemented},
    {"lame_duck_grace_period", ": \"5s\"", Verdict::Implemented},
    {"operator", ": /tmp/op.jwt", Verdict::Refused},
    {"operators", ": [\"/tmp/op.jwt\"]", Verdict::Refused},
    {"roots", ": [\"/tmp/op.jwt\"]", Verdict::Refused},
    {"root", ": /tmp/op.jwt", Verdict::Refused},
    {"root_operators", ": [\"/tmp/op.jwt\"]", Verdict::Refused},
    {"root_operator", ": /tmp/op.jwt", Verdict::Refused},
    {"resolver", ": MEMORY", Verdict::Refused},
    {"account_resolver", ": MEMORY", Verdict::Refused},
    {"accounts_resolver", ": MEMORY", Verdict::Refused},
    {"resolver_tls", " { cert_file: c }", Verdict::Refused},
    {"resolver_preload", " { A: jwt }", Verdict::Refused},
    {"resolver_pinned_accounts", ": [A]", Verdict::Refused},
    {"no_auth_user", ": u\nauthorization { users: [ {user: u, password: p} ] }", Verdict::Implemented},
    {"system_account", ": SYS", Verdict::Implemented},
    {"system", ": SYS", Verdict::Implemented},
    {"no_system_account", ": true", Verdict::Ignored},
    {"no_system", ": true", Verdict::Ignored},
    {"no_sys_acc", ": true", Verdict::Ignored},
    {"no_header_support", ": true", Verdict::Ignored},
    {"trusted", ": ABC", Verdict::Refused},
    {"trusted_keys", ": [ABC]", Verdict::Refused},
    {"connect_error_reports", ": 10", Verdict::Ignored},
    {"reconnect_error_reports", ": 10", Verdict::Ignored},
    {"websocket", " { port: 8080, no_tls: true }", Verdict::Ignored},
    {"ws", " { port: 8080, no_tls: true }", Verdict::Ignored},
    {"mqtt", " { port: 1883 }", Verdict::Ignored},
    {"server_tags", ": [a]", Verdict::Ignored},
    {"default_js_domain", " { A: d }", Verdict::Ignored},
};

TEST(Unsupported, EveryNatsTopLevelKeyIsClassified) {
  TempDir dir;
  for (const KeyCase& c : kNatsTopLevelKeys) {
    std::string f = dir.write(std::string(c.key) + ".conf", std::string(c.key) + c.value + "\n");
    CliRun r = cli({"-c", f});
    switch (c.verdict) {
      case Verdict::Implemented:
        EXPECT_EQ(r.res.action, CliAction::Run) << c.key << ": " << r.res.err;
        EXPECT_TRUE(r.res.ignored.empty()) << c.key;
        break;
      case Verdict::Ignored:
        EXPECT_EQ(r.res.action, CliAction::Run) << c.key << ": " << r.res.err;
        EXPECT_TRUE(has(r.res.ignored, c.key)) << c.key;
        EXPECT_EQ(cli({"-c", f, "-t"}).res.action, CliAction::TestConfigOk) << c.key;
        break;
      case Verdict::Refused:
        EXPECT_EQ(r.res.action, CliAction::Error) << c.key;
        EXPECT_EQ(r.res.exit_code, 1) << c.key;
        EXPECT_EQ(r.res.err.rfind("ringnats: " + f + ":1:0: \"" + c.key + "\" is not supported by ringnats: ", 0), 0u)
            << c.key << ": " << r.res.err;
        // -t reports it too: a config check must not pass what cannot run.
        EXPECT_EQ(cli({"-c", f, "-t"}).res.err, r.res.err) << c.key;
        break;
    }
  }
}

TEST(Unsupported, RefusedTopLevelKeysGiveLocationAndReason) {
  using namespace unsupported;
  TempDir dir;
  struct Case {
    const char* text;
    const char* path;
    std::string_view reason;
  } cases[] = {
      {"resolver_tls { ca_file: c }", "resolver_tls", kWhyTls},
      {"ocsp { mode: always }", "ocsp", kWhyTls},
      {"operator: /tmp/o.jwt", "operator", kWhyJwt},
      {"trusted_keys: [ABC]", "trusted_keys", kWhyJwt},
      {"resolver: MEMORY", "resolver", kWhyJwt},
      {"resolver_preload { A: x }", "resolver_preload", kWhyJwt},
      {"mappings { foo: bar }", "mappings", kWhyMappings},
  };
  for (const Case& c : cases) {
    std::string f = dir.write("r.conf", std::string("port: 4222\n") + c.text + "\n");
    EXPECT_EQ(error_of({"-c", f}), refused_line(f, "2:1", c.path, c.reason)) << c.text;
  }
  // Several refusals are all listed, each on its own line.
  std::string many = dir.write("many.conf", "mappings {}\nresolver: MEMORY\n");
  EXPECT_EQ(error_of({"-c", many}), "ringnats: " + many + ":1:0: \"mappings\" is not supported by ringnats: " +
                                        why(kWhyMappings) + "\n" + many +
                                        ":2:1: \"resolver\" is not supported by ringnats: " +
                                        why(kWhyJwt) + "\n\n");
  // "ocsp: false" asks for nothing and is only ignored.
  CliRun off = ok({"-c", dir.write("ocsp.conf", "ocsp: false\n")});
  EXPECT_TRUE(has(off.res.ignored, "ocsp"));
}

TEST(Unsupported, UsersNkeysAndPermissionsAtTheTopAreUnknownAsInNats) {
  TempDir dir;
  for (const char* key : {"users", "nkeys", "permissions"}) {
    std::string f = dir.write("u.conf", std::string(key) + ": []\n");
    EXPECT_EQ(error_of({"-c", f}), "ringnats: " + f + ":1:0: unknown field \"" + key + "\"\n\n") << key;
  }
}

TEST(Unsupported, AuthorizationSingleUserAndTokenStayImplemented) {
  // Users lists, nkeys and permissions are implemented now: tests/config/users_config_test.cc.
  TempDir dir;
  Options u = ok({"-c", dir.write("u.conf", "authorization { user: a, password: b, timeout: 3 }\n")}).opts;
  EXPECT_EQ(u.username, "a");
  EXPECT_EQ(u.password, "b");
  EXPECT_EQ(ok({"-c", dir.write("t.conf", "authorization { token: s3cret }\n")}).opts.auth_token, "s3cret");
  EXPECT_EQ(ok({"-c", dir.write("n.conf", "authorization { user: a }\n")}).opts.username, "a");
}

TEST(Unsupported, ClusterPermissionsTlsAndUsersAreRefused) {
  using namespace unsupported;
  TempDir dir;
  std::string perms = dir.write("p.conf", "cluster {\n  port: 6222\n  permissions { import: foo }\n}\n");
  EXPECT_EQ(error_of({"-c", perms}), refused_line(perms, "3:3", "cluster.permissions", kWhyClusterPermissions));
  std::string tls = dir.write("t.conf", "cluster {\n  port: 6222\n  tls { pinned_certs: [x] }\n}\n");
  EXPECT_NE(error_of({"-c", tls}).find(tls + ":3:9: \"cluster.tls.pinned_certs\" is not supported by ringnats: "),
            std::string::npos)
      << error_of({"-c", tls});
  std::string users = dir.write("u.conf", "cluster {\n  authorization {\n    users: [ {user: a, password: b} ]\n  }\n}\n");
  std::string err = error_of({"-c", users});
  EXPECT_NE(err.find(users + ":3:5: \"cluster.authorization.users\" is not supported by ringnats: " + why(kWhyUsers)),
            std::string::npos)
      << err;
  std::string aperm = dir.write("ap.conf", "cluster {\n  authorization {\n    user: a\n    password: b\n"
                                           "    permissions { import: foo }\n  }\n}\n");
  EXPECT_EQ(error_of({"-c", aperm}), refused_line(aperm, "5:5", "cluster.authorization.permissions", kWhyPermissions));
  // Cluster user/password stays implemented.
  Options o = ok({"-c", dir.write("ok.conf", "cluster { port: 6222, authorization { user: r, password: s } }\n")}).opts;
  EXPECT_EQ(o.cluster.username, "r");
  EXPECT_EQ(o.cluster.password, "s");
}

TEST(Unsupported, PasswordWithoutUserIsRefused) {
  TempDir dir;
  // nats-server lets everyone in here; ringnats does not start.
  std::string top = dir.write("p.conf", "port: 4222\nauthorization { password: s }\n");
  EXPECT_EQ(error_of({"-c", top}), "ringnats: " + top +
                                       ":2:1: \"authorization\" has a password but no user: nats-server would then "
                                       "let everyone in without credentials, so ringnats refuses it; set the user "
                                       "too\n\n");
  std::string cl = dir.write("c.conf", "cluster {\n  port: 6222\n  authorization { password: s }\n}\n");
  EXPECT_NE(error_of({"-c", cl}).find(cl + ":3:3: \"cluster.authorization\" has a password but no user"),
            std::string::npos);
  EXPECT_EQ(error_of({"--pass", "s"}),
            "ringnats: client authorization (--pass) has a password but no user: nats-server would then let every "
            "client in without credentials, so ringnats refuses it; set the user too\n");
  EXPECT_NE(error_of({"--cluster", "nats://:s@127.0.0.1:6222"}).find("cluster authorization has a password but no user"),
            std::string::npos);
  // With a user, or next to a token (which is what is checked), it is fine.
  ok({"--user", "u", "--pass", "s"});
  ok({"--auth", "t", "--pass", "s"});
  ok({"--cluster", "nats://u:s@127.0.0.1:6222"});
}

// Blocks for connections ringnats does not have: plumbing is ignored, every
// setting that decides who may connect, what crosses, or TLS is refused.
struct BlockCase {
  const char* block;                   // as written at the top level
  const char* feature;                 // named in the reason
  std::vector<const char*> refused;    // keys refused directly in the block
};

TEST(Unsupported, ListenerBlocksIgnorePlumbingAndRefuseSecurity) {
  const BlockCase blocks[] = {
      {"gateway", "gateway", {"authorization", "tls", "reject_unknown", "reject_unknown_cluster"}},
      {"leafnodes", "leafnode", {"authorization", "tls", "min_version", "minimum_version"}},
      {"leaf", "leafnode", {"authorization", "tls"}},
      {"websocket", "websocket", {"tls", "same_origin", "allowed_origins", "allowed_origin", "allow_origins",
                                  "allow_origin", "origins", "origin", "authorization", "authentication",
                                  "jwt_cookie", "no_auth_user"}},
      {"ws", "websocket", {"tls", "authorization", "no_auth_user"}},
      {"mqtt", "MQTT", {"tls", "authorization", "authentication", "no_auth_user"}},
  };
  TempDir dir;
  for (const BlockCase& b : blocks) {
    std::string plain = dir.write("plain.conf", std::string(b.block) + " {\n  port: 9999\n}\n");
    CliRun r = ok({"-c", plain});
    EXPECT_TRUE(has(r.res.ignored, b.block)) << b.block;
    for (const char* key : b.refused) {
      std::string f = dir.write("r.conf", std::string(b.block) + " {\n  port: 9999\n  " + key + ": x\n}\n");
      std::string reason = std::string("ringnats has no ") + b.feature +
                           " connections, and a setting that decides who may connect, what crosses a link, or TLS "
                           "is never dropped silently; without it the rest of the block is ignored";
      EXPECT_EQ(error_of({"-c", f}), refused_line(f, "3:3", std::string(b.block) + "." + key, reason))
          << b.block << "." << key;
    }
    std::string bogus = dir.write("b.conf", std::string(b.block) + " {\n  bogus: 1\n}\n");
    EXPECT_EQ(error_of({"-c", bogus}), "ringnats: " + bogus + ":2:3: unknown field \"bogus\"\n\n") << b.block;
  }
  std::string not_map = dir.write("n.conf", "gateway: 5\n");
  EXPECT_EQ(error_of({"-c", not_map}), "ringnats: " + not_map + ":1:0: Expected gateway to be a map, got int64\n\n");
}

TEST(Unsupported, ListenerBlockEntriesAreCheckedToo) {
  TempDir dir;
  // Gateway and leafnode links are never dialed: URLs are ignored...
  CliRun r = ok({"-c", dir.write("ok.conf",
                                 "gateway {\n  name: a\n  gateways: [ {name: b, urls: [\"nats://h:7222\"]} ]\n}\n"
                                 "leafnodes {\n  remotes: [ {url: \"nats://h:7422\", hub: true} ]\n}\n")});
  EXPECT_TRUE(has(r.res.ignored, "gateway"));
  EXPECT_TRUE(has(r.res.ignored, "leafnodes"));
  // ...but their credentials, TLS and filters are refused, with the entry's index.
  struct Case {
    const char* text;
    const char* pos;
    const char* path;
  } cases[] = {
      {"gateway {\n  gateways: [\n    {name: b, url: \"nats://h:1\"}\n    {name: c, tls: {}}\n  ]\n}\n", "4:15",
       "gateway.gateways[1].tls"},
      {"leafnodes {\n  remotes: [\n    {url: \"nats://h:1\", credentials: /tmp/x.creds}\n  ]\n}\n", "3:25",
       "leafnodes.remotes[0].credentials"},
  };
  for (const Case& c : cases) {
    std::string f = dir.write("e.conf", c.text);
    EXPECT_NE(error_of({"-c", f}).find(f + ":" + c.pos + ": \"" + c.path + "\" is not supported by ringnats: "),
              std::string::npos)
        << error_of({"-c", f});
  }
  for (const char* key : {"account", "local", "creds", "tls", "deny_imports", "deny_import", "deny_exports",
                          "deny_export"}) {
    std::string f = dir.write("k.conf", std::string("leafnodes { remotes: [ { url: \"nats://h:1\", ") + key +
                                            ": x } ] }\n");
    EXPECT_NE(error_of({"-c", f}).find("\"leafnodes.remotes[0]." + std::string(key) + "\" is not supported"),
              std::string::npos)
        << key;
  }
  std::string arr = dir.write("a.conf", "leafnodes { remotes: 5 }\n");
  EXPECT_EQ(error_of({"-c", arr}), "ringnats: " + arr + ":1:12: Expected remotes field to be an array, got int64\n\n");
  std::string entry = dir.write("en.conf", "gateway { gateways: [ 5 ] }\n");
  EXPECT_EQ(error_of({"-c", entry}),
            "ringnats: " + entry + ":1:22: Expected gateway entry to be a map/struct, got 5\n\n");
}

// The TLS flags work as nats' (their files are checked in tests/tls), and
// so does --https_port (it needs the tls block's certificate when it starts).
TEST(Unsupported, TlsFlagsAsNats) {
  const std::string no_cert = "ringnats: TLS Server certificate must be present and valid\n";
  EXPECT_EQ(error_of({"--tls"}), no_cert);
  EXPECT_EQ(error_of({"-tlsverify"}), no_cert);
  EXPECT_EQ(error_of({"--tlskey", "k.pem"}), no_cert);
  EXPECT_EQ(error_of({"--tlscert", "c.pem"}), "ringnats: TLS Server private key must be present and valid\n");
  EXPECT_EQ(error_of({"--tlscert", "c.pem", "--tlskey", "k.pem", "--tls"}),
            "ringnats: error parsing X509 certificate/key pair: open c.pem: no such file or directory\n");
  EXPECT_EQ(ok({"-ms", "8443"}).res.action, CliAction::Run);
  // --tls=false turns TLS off in nats wherever it stands; the last --tls wins.
  ok({"--tls=false", "--tlscert", "c.pem"});
  ok({"--tlscert", "c.pem", "--tlskey", "k.pem", "--tls=false"});
  EXPECT_EQ(error_of({"--tls=false", "--tls"}), no_cert);
  ok({"-ms", "0"});
}

TEST(Unsupported, IgnoredFlagsStartAndAreReported) {
  struct Case {
    std::initializer_list<std::string> args;
    const char* reported;
  } cases[] = {
      {{"-s"}, "--s"},
      {{"--syslog"}, "--syslog"},
      {{"-r", "udp://127.0.0.1:514"}, "--r"},
      {{"--remote_syslog", "udp://127.0.0.1:514"}, "--remote_syslog"},
      {{"--ports_file_dir", "/tmp"}, "--ports_file_dir"},
      {{"--log_size_limit", "1000"}, "--log_size_limit"},
      {{"--max_traced_msg_len", "10"}, "--max_traced_msg_len"},
      {{"--profile", "6060"}, "--profile"},
  };
  for (const Case& c : cases) {
    CliRun r = ok(c.args);
    EXPECT_TRUE(has(r.res.ignored, c.reported)) << c.reported;
  }
  // Off or zero asks for nothing and is not reported.
  EXPECT_TRUE(ok({"-m", "0", "-js=false"}).res.ignored.empty());
}

}  // namespace

namespace {

// JetStream's block as nats reads it; what it cannot honour is refused.
TEST(JetStreamConfig, BlockFormsAndErrorsAsNats) {
  TempDir dir;
  auto opts = [&](const std::string& text) { return ok({"-c", dir.write("j.conf", text)}).opts.jetstream; };
  EXPECT_TRUE(opts("jetstream: enabled\n").enabled);
  EXPECT_TRUE(opts("jetstream: true\n").enabled);
  EXPECT_FALSE(opts("jetstream: Disabled\n").enabled);
  EXPECT_FALSE(opts("jetstream { enabled: false }\n").enabled);
  JetStreamOptions j = opts("jetstream { store_dir: /tmp/jsx, max_mem: \"2G\", max_file: 1000, domain: hub }\n");
  EXPECT_TRUE(j.enabled);
  EXPECT_EQ(j.store_dir, "/tmp/jsx");
  EXPECT_EQ(j.max_memory, int64_t(2) << 30);
  EXPECT_EQ(j.max_store, 1000);
  EXPECT_EQ(j.domain, "hub");
  EXPECT_EQ(opts("store_dir: /tmp/top\njetstream: enabled\n").store_dir, "/tmp/top");

  std::string f = dir.write("b1.conf", "port: 1\njetstream: yes_please\n");
  EXPECT_EQ(error_of({"-c", f}), "ringnats: " + f + ":2:1: Expected 'enabled' or 'disabled' for string value, got 'yes_please'\n\n");
  f = dir.write("b2.conf", "port: 1\njetstream: 1\n");
  EXPECT_EQ(error_of({"-c", f}), "ringnats: " + f + ":2:1: Expected map, bool or string to define JetStream, got int64\n\n");
  f = dir.write("b3.conf", "jetstream { max_file_store: \"10X\" }\n");
  EXPECT_NE(error_of({"-c", f}).find("max_file_store sizes defined as strings must end in K, M, G, T"), std::string::npos);
  f = dir.write("b4.conf", "store_dir: /a\njetstream { store_dir: /b }\n");
  EXPECT_NE(error_of({"-c", f}).find("Duplicate 'store_dir' configuration"), std::string::npos);
  f = dir.write("b5.conf", "jetstream { foo: 1 }\n");
  EXPECT_NE(error_of({"-c", f}).find("unknown field \"foo\""), std::string::npos);
  // Encryption at rest would be silently absent: refused.
  f = dir.write("b6.conf", "jetstream { key: s3cr3t }\n");
  EXPECT_NE(error_of({"-c", f}).find("\"jetstream.key\" is not supported by ringnats"), std::string::npos);
}

TEST(JetStreamConfig, FlagsEnableItAndNatsStreamingIsToldWhatReplacedIt) {
  JetStreamOptions j = ok({"-js", "-sd", "/tmp/jsf"}).opts.jetstream;
  EXPECT_TRUE(j.enabled);
  EXPECT_EQ(j.store_dir, "/tmp/jsf");
  EXPECT_FALSE(ok({"-sd", "/tmp/jsf"}).opts.jetstream.enabled);  // -sd alone does not enable it (nats)
  // A NATS Streaming guide's flags and config block name JetStream.
  std::string e = error_of({"-store", "file", "-dir", "store-a", "-clustered"});
  EXPECT_NE(e.find("flag provided but not defined: -store"), std::string::npos) << e;
  EXPECT_NE(e.find("JetStream"), std::string::npos) << e;
  EXPECT_NE(e.find("jetstream { store_dir"), std::string::npos) << e;
  TempDir dir;
  std::string f = dir.write("stan.conf", "streaming {\n  store: file\n  dir: store-a\n  cluster { node_id: a }\n}\n");
  e = error_of({"-c", f});
  EXPECT_NE(e.find(f + ":1:0: \"streaming\" configures NATS Streaming"), std::string::npos) << e;
  EXPECT_NE(e.find("jetstream { store_dir"), std::string::npos) << e;
}

}  // namespace
