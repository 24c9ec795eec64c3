// Tests for the nats-compatible command line and config options (config/flags):
// every flag, flags over config, defaults, validation, and — when stock
// nats-server is installed — the same stderr and exit status as `nats-server -t`.
#include "config/flags.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>

#include "tests/config/cli_util.h"
#include "tests/config/test_util.h"

using namespace ringnats;
using ringnats::testing::TempDir;
using namespace ringnats::testing;

namespace {

TEST(Flags, Defaults) {
  Options o = ok({}).opts;
  Options d;
  EXPECT_EQ(o.host, "0.0.0.0");
  EXPECT_EQ(o.port, 4222);
  EXPECT_EQ(o.max_payload, d.max_payload);
  EXPECT_EQ(o.max_pending, d.max_pending);
  EXPECT_EQ(o.max_control_line, 4096);
  EXPECT_EQ(o.max_connections, 64 * 1024);
  EXPECT_EQ(o.ping_interval_ns, 120 * kSecond);
  EXPECT_EQ(o.ping_max, 2);
  EXPECT_EQ(o.write_deadline_ns, 10 * kSecond);
  EXPECT_EQ(o.auth_timeout_ns, 2 * kSecond);
  EXPECT_TRUE(o.logtime);
  EXPECT_FALSE(o.debug);
  EXPECT_FALSE(o.trace);
  EXPECT_FALSE(o.cluster.enabled);
  EXPECT_EQ(o.http_host, "0.0.0.0");
  EXPECT_EQ(o.shards, 0);
}

TEST(Flags, ServerFlagsAllSpellings) {
  for (const char* p : {"-p", "--p", "-port", "--port"}) {
    EXPECT_EQ(ok({p, "4333"}).opts.port, 4333) << p;
    EXPECT_EQ(ok({std::string(p) + "=4334"}).opts.port, 4334) << p;
  }
  EXPECT_EQ(ok({"-p", "-1"}).opts.port, -1);  // random port
  EXPECT_EQ(ok({"-p", "0"}).opts.port, 4222);  // zero means the default, as in nats
  EXPECT_EQ(ok({"-p", "0x10"}).opts.port, 16);  // Go reads base prefixes
  for (const char* a : {"-a", "--addr", "--net"}) EXPECT_EQ(ok({a, "127.0.0.1"}).opts.host, "127.0.0.1");
  for (const char* n : {"-n", "--name", "--server_name"}) EXPECT_EQ(ok({n, "srv-a"}).opts.server_name, "srv-a");
  for (const char* p : {"-P", "--pid"}) EXPECT_EQ(ok({p, "/tmp/x.pid"}).opts.pid_file, "/tmp/x.pid");
  for (const char* m : {"-m", "--http_port"}) EXPECT_EQ(ok({m, "8222"}).opts.http_port, 8222);
  for (const char* l : {"-l", "--log"}) EXPECT_EQ(ok({l, "/tmp/x.log"}).opts.log_file, "/tmp/x.log");
  EXPECT_EQ(ok({"--client_advertise", "h:1"}).opts.client_advertise, "h:1");
  Options a = ok({"--user", "u", "--pass", "p"}).opts;
  EXPECT_EQ(a.username, "u");
  EXPECT_EQ(a.password, "p");
  EXPECT_EQ(ok({"--auth", "tok"}).opts.auth_token, "tok");
  EXPECT_EQ(ok({"--shards", "3"}).opts.shards, 3);
}

TEST(Flags, LoggingBools) {
  EXPECT_TRUE(ok({"-D"}).opts.debug);
  EXPECT_TRUE(ok({"--debug"}).opts.debug);
  EXPECT_FALSE(ok({"-D=false"}).opts.debug);
  EXPECT_TRUE(ok({"-V"}).opts.trace);
  EXPECT_TRUE(ok({"--trace=true"}).opts.trace);
  EXPECT_FALSE(ok({"-T=false"}).opts.logtime);
  EXPECT_FALSE(ok({"--logtime=0"}).opts.logtime);
  EXPECT_TRUE(ok({"-T"}).opts.logtime);
  Options dv = ok({"-DV"}).opts;
  EXPECT_TRUE(dv.debug && dv.trace);
  Options dvv = ok({"-DVV"}).opts;
  EXPECT_TRUE(dvv.debug && dvv.trace);
  Options vv = ok({"-VV"}).opts;
  EXPECT_TRUE(vv.trace && !vv.debug);
  // -DV=false wins over -D wherever it appears, as in nats.
  Options off = ok({"-DV=false", "-D"}).opts;
  EXPECT_FALSE(off.debug || off.trace);
  // A bool flag does not take the next argument as its value.
  CliRun r = cli({"-D", "false"});
  EXPECT_EQ(r.res.action, CliAction::Error);
  EXPECT_EQ(r.res.err, "ringnats: unrecognized command: \"false\"\n");
}

TEST(Flags, ClusterFlags) {
  Options o = ok({"--cluster", "nats://127.0.0.1:6222", "--cluster_name", "c1", "--routes",
                  "nats://127.0.0.1:6223, nats://127.0.0.1:6224", "--cluster_advertise", "h:9",
                  "--no_advertise", "--connect_retries", "5"})
                  .opts;
  EXPECT_TRUE(o.cluster.enabled);
  EXPECT_EQ(o.cluster.host, "127.0.0.1");
  EXPECT_EQ(o.cluster.port, 6222);
  EXPECT_EQ(o.cluster.name, "c1");
  ASSERT_EQ(o.cluster.routes.size(), 2u);
  EXPECT_EQ(o.cluster.routes[0], "nats://127.0.0.1:6223");
  EXPECT_EQ(o.cluster.routes[1], "nats://127.0.0.1:6224");
  EXPECT_EQ(o.cluster.advertise, "h:9");
  EXPECT_TRUE(o.cluster.no_advertise);
  EXPECT_EQ(o.cluster.connect_retries, 5);

  Options r = ok({"--cluster_listen", "nats://ru:rp@0.0.0.0:-1"}).opts;
  EXPECT_TRUE(r.cluster.enabled);
  EXPECT_EQ(r.cluster.port, -1);
  EXPECT_EQ(r.cluster.username, "ru");
  EXPECT_EQ(r.cluster.password, "rp");
}

TEST(Flags, ClusterFlagErrors) {
  EXPECT_EQ(error_of({"--cluster", "foo"}), "ringnats: missing port in address\n");
  EXPECT_EQ(error_of({"--cluster", "nats://foo"}), "ringnats: address foo: missing port in address\n");
  EXPECT_EQ(error_of({"--cluster", "nats://u@h:1"}), "ringnats: expected cluster password to be set\n");
  EXPECT_EQ(error_of({"--cluster", "nats://h:x"}), "ringnats: parse \"nats://h:x\": invalid port \":x\" after host\n");
  EXPECT_EQ(error_of({"--cluster", "nats://h:1:2"}), "ringnats: address h:1:2: too many colons in address\n");
  EXPECT_EQ(error_of({"--cluster", "nats://h:"}), "ringnats: EOF\n");
}

TEST(Flags, RoutesNeedCluster) {
  EXPECT_EQ(error_of({"--routes", "nats://127.0.0.1:6222"}),
            "ringnats: solicited routes require cluster capabilities, e.g. --cluster\n");
  TempDir dir;
  std::string with_cluster = dir.write("c.conf", "cluster { port: 6222 }\n");
  Options o = ok({"-c", with_cluster, "--routes", "nats://127.0.0.1:6333"}).opts;
  ASSERT_EQ(o.cluster.routes.size(), 1u);
  EXPECT_EQ(o.cluster.routes[0], "nats://127.0.0.1:6333");
}

TEST(Flags, HelpVersionAndCommands) {
  for (const char* h : {"-h", "--help", "help", "HELP"}) {
    CliRun r = cli({h});
    EXPECT_EQ(r.res.action, CliAction::Help) << h;
    EXPECT_EQ(r.res.exit_code, 0);
    EXPECT_EQ(r.res.out, usage_text() + "\n");
    EXPECT_TRUE(r.res.err.empty());
  }
  for (const char* v : {"-v", "--version", "version"}) {
    CliRun r = cli({v});
    EXPECT_EQ(r.res.action, CliAction::Version) << v;
    EXPECT_EQ(r.res.out, std::string("ringnats: v") + RINGNATS_VERSION + "\n");
  }
  EXPECT_EQ(error_of({"foo"}), "ringnats: unrecognized command: \"foo\"\n");
  // Flags stop at the first non-flag argument, and at "--".
  EXPECT_EQ(cli({"version", "-p", "x"}).res.action, CliAction::Version);
  EXPECT_EQ(error_of({"--", "-p"}), "ringnats: unrecognized command: \"-p\"\n");
}

TEST(Flags, UsageMentionsEveryNatsFlag) {
  const std::string& u = usage_text();
  for (const char* f : {"--addr", "--port", "--server_name", "--pid", "--http_port", "--https_port", "--config",
                        "-t ", "--signal", "--client_advertise", "--ports_file_dir", "--log", "--logtime",
                        "--syslog", "--remote_syslog", "--debug", "--trace", "-VV", "-DV", "-DVV",
                        "--log_size_limit", "--max_traced_msg_len", "--jetstream", "--store_dir", "--user",
                        "--pass", "--auth", "--tls", "--tlscert", "--tlskey", "--tlsverify", "--tlscacert",
                        "--routes", "--cluster ", "--cluster_name", "--no_advertise", "--cluster_advertise",
                        "--connect_retries", "--cluster_listen", "--profile", "--help", "--version",
                        "--help_tls", "--shards"})
    EXPECT_NE(u.find(f), std::string::npos) << f;
  EXPECT_EQ(u.front(), '\n');
  EXPECT_EQ(u.back(), '\n');
}

TEST(Flags, BadFlagsShowUsageLikeGo) {
  struct Case {
    std::initializer_list<std::string> args;
    const char* err;
  } cases[] = {
      {{"--bogus"}, "flag provided but not defined: -bogus\n"},
      {{"-bogus=1"}, "flag provided but not defined: -bogus\n"},
      {{"-p", "abc"}, "invalid value \"abc\" for flag -p: parse error\n"},
      {{"-p", "99999999999999999999"}, "invalid value \"99999999999999999999\" for flag -p: value out of range\n"},
      {{"-p"}, "flag needs an argument: -p\n"},
      {{"-D=maybe"}, "invalid boolean value \"maybe\" for -D: parse error\n"},
      {{"---x"}, "bad flag syntax: ---x\n"},
      {{"-=x"}, "bad flag syntax: -=x\n"},
  };
  for (const Case& c : cases) {
    CliRun r = cli(c.args);
    EXPECT_EQ(r.res.action, CliAction::Help);
    EXPECT_EQ(r.res.exit_code, 0);  // nats' usage() exits 0 even here
    EXPECT_EQ(r.res.err, c.err);
    EXPECT_EQ(r.res.out, usage_text() + "\n");
  }
}

TEST(Flags, TestConfigMode) {
  EXPECT_EQ(error_of({"-t"}), "ringnats: must specify [-c, --config] option to check configuration file syntax\n");
  TempDir dir;
  std::string good = dir.write("good.conf", "port: 4333\n");
  CliRun r = cli({"-c", good, "-t"});
  EXPECT_EQ(r.res.action, CliAction::TestConfigOk);
  EXPECT_EQ(r.res.exit_code, 0);
  EXPECT_EQ(r.res.err, "ringnats: configuration file " + good + " is valid\n");
  // Warnings fail a -t check but only warn when running.
  std::string warn = dir.write("warn.conf", "ping_interval: 5\n");
  EXPECT_EQ(error_of({"-c", warn, "-t"}), "ringnats: " + warn +
                                              ":1:0: invalid use of field \"ping_interval\": ping_interval should "
                                              "be converted to a duration\n\n");
  CliRun w = ok({"-c", warn});
  EXPECT_EQ(w.res.err, warn + ":1:0: invalid use of field \"ping_interval\": ping_interval should be converted to a duration\n");
  EXPECT_EQ(w.opts.ping_interval_ns, 5 * kSecond);
}

TEST(Config, TopLevelKeys) {
  TempDir dir;
  std::string f = dir.write("all.conf",
                            "listen: 127.0.0.1:4333\n"
                            "server_name: s1\n"
                            "client_advertise: \"adv:1\"\n"
                            "max_payload: 2MB\n"
                            "max_pending: 32MB\n"
                            "max_control_line: 8KB\n"
                            "max_connections: 100\n"
                            "max_subscriptions: 50\n"
                            "ping_interval: \"30s\"\n"
                            "ping_max: 4\n"
                            "write_deadline: \"1500ms\"\n"
                            "debug: true\n"
                            "trace: yes\n"
                            "logtime: false\n"
                            "log_file: /tmp/a.log\n"
                            "pid_file: /tmp/a.pid\n"
                            "http: \"127.0.0.1:8333\"\n"
                            "authorization { user: u, password: p, timeout: 1.5 }\n"
                            "shards: 2\n");
  Options o = ok({"-c", f}).opts;
  EXPECT_EQ(o.config_file, f);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 4333);
  EXPECT_EQ(o.server_name, "s1");
  EXPECT_EQ(o.client_advertise, "adv:1");
  EXPECT_EQ(o.max_payload, 2 << 20);
  EXPECT_EQ(o.max_pending, 32 << 20);
  EXPECT_EQ(o.max_control_line, 8192);
  EXPECT_EQ(o.max_connections, 100);
  EXPECT_EQ(o.max_subs, 50);
  EXPECT_EQ(o.ping_interval_ns, 30 * kSecond);
  EXPECT_EQ(o.ping_max, 4);
  EXPECT_EQ(o.write_deadline_ns, 1500 * kSecond / 1000);
  EXPECT_TRUE(o.debug);
  EXPECT_TRUE(o.trace);
  EXPECT_FALSE(o.logtime);
  EXPECT_EQ(o.log_file, "/tmp/a.log");
  EXPECT_EQ(o.pid_file, "/tmp/a.pid");
  EXPECT_EQ(o.http_host, "127.0.0.1");
  EXPECT_EQ(o.http_port, 8333);
  EXPECT_EQ(o.username, "u");
  EXPECT_EQ(o.password, "p");
  EXPECT_EQ(o.auth_timeout_ns, 1500 * kSecond / 1000);
  EXPECT_EQ(o.shards, 2);
}

TEST(Config, AlternateSpellings) {
  TempDir dir;
  Options o = ok({"-c", dir.write("a.conf",
                                  "net: 10.0.0.1\nport: 5000\nmonitor_port: 9000\nlogfile: /tmp/l\npidfile: /tmp/p\n"
                                  "max_conn: 7\nmax_subs: 8\nauthorization { token: secret }\n")})
                  .opts;
  EXPECT_EQ(o.host, "10.0.0.1");
  EXPECT_EQ(o.port, 5000);
  EXPECT_EQ(o.http_port, 9000);
  EXPECT_EQ(o.log_file, "/tmp/l");
  EXPECT_EQ(o.pid_file, "/tmp/p");
  EXPECT_EQ(o.max_connections, 7);
  EXPECT_EQ(o.max_subs, 8);
  EXPECT_EQ(o.auth_token, "secret");
}

TEST(Config, ListenForms) {
  TempDir dir;
  Options a = ok({"-c", dir.write("a.conf", "listen: \":4555\"\n")}).opts;
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 4555);
  Options b = ok({"-c", dir.write("b.conf", "listen: 4556\n")}).opts;
  EXPECT_EQ(b.port, 4556);
  std::string bad = dir.write("c.conf", "listen: \"localhost\"\n");
  EXPECT_EQ(error_of({"-c", bad}), "ringnats: " + bad + ":1:0: could not parse address string \"localhost\"\n\n");
}

TEST(Config, ClusterBlock) {
  TempDir dir;
  std::string f = dir.write("c.conf",
                            "cluster {\n"
                            "  name: my-cluster\n"
                            "  listen: 127.0.0.1:6222\n"
                            "  routes: [\n"
                            "    nats://127.0.0.1:6223\n"
                            "    nats://127.0.0.1:6224\n"
                            "  ]\n"
                            "  advertise: \"a:1\"\n"
                            "  no_advertise: true\n"
                            "  connect_retries: 3\n"
                            "  authorization { user: ru, password: rp, timeout: 3 }\n"
                            "}\n");
  Options o = ok({"-c", f}).opts;
  EXPECT_TRUE(o.cluster.enabled);
  EXPECT_EQ(o.cluster.name, "my-cluster");
  EXPECT_EQ(o.cluster.host, "127.0.0.1");
  EXPECT_EQ(o.cluster.port, 6222);
  ASSERT_EQ(o.cluster.routes.size(), 2u);
  EXPECT_EQ(o.cluster.routes[1], "nats://127.0.0.1:6224");
  EXPECT_EQ(o.cluster.advertise, "a:1");
  EXPECT_TRUE(o.cluster.no_advertise);
  EXPECT_EQ(o.cluster.connect_retries, 3);
  EXPECT_EQ(o.cluster.username, "ru");
  EXPECT_EQ(o.cluster.password, "rp");
  EXPECT_EQ(o.cluster.auth_timeout_ns, 3 * kSecond);

  Options hp = ok({"-c", dir.write("hp.conf", "cluster { host: 127.0.0.2, port: 7000, cluster_advertise: x }\n")}).opts;
  EXPECT_EQ(hp.cluster.host, "127.0.0.2");
  EXPECT_EQ(hp.cluster.port, 7000);
  EXPECT_EQ(hp.cluster.advertise, "x");
}

TEST(Config, FlagsOverrideConfig) {
  TempDir dir;
  std::string f = dir.write("o.conf",
                            "port: 1111\nhost: 10.0.0.1\ndebug: true\nlogtime: false\nserver_name: from-file\n"
                            "cluster { listen: 0.0.0.0:6222, routes: [nats://a:1], authorization { user: a, password: b } }\n");
  Options o = ok({"-c", f, "-p", "2222", "-a", "127.0.0.1", "-D=false", "-T", "-n", "from-flag", "--cluster",
                  "nats://127.0.0.1:7222", "--routes", "nats://b:2"})
                  .opts;
  EXPECT_EQ(o.port, 2222);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_FALSE(o.debug);
  EXPECT_TRUE(o.logtime);
  EXPECT_EQ(o.server_name, "from-flag");
  EXPECT_EQ(o.cluster.port, 7222);
  ASSERT_EQ(o.cluster.routes.size(), 1u);
  EXPECT_EQ(o.cluster.routes[0], "nats://b:2");
  // --cluster without credentials clears the file's route credentials.
  EXPECT_EQ(o.cluster.username, "");
  // The flags given before -c count as well.
  Options before = ok({"-p", "3333", "-c", f}).opts;
  EXPECT_EQ(before.port, 3333);
  EXPECT_TRUE(before.debug);
  EXPECT_FALSE(before.logtime);
  // An empty --cluster turns the file's cluster off.
  EXPECT_FALSE(ok({"-c", f, "--cluster="}).opts.cluster.enabled);
}

TEST(Config, Validation) {
  TempDir dir;
  std::string big = dir.write("big.conf", "max_payload: 100MB\n");
  // nats only checks this when starting, not under -t.
  EXPECT_EQ(cli({"-c", big, "-t"}).res.action, CliAction::TestConfigOk);
  EXPECT_EQ(error_of({"-c", big}), "ringnats: max_payload (104857600) cannot be higher than max_pending (67108864)\n");
  std::string huge = dir.write("huge.conf", "max_payload: 3GB\n");
  EXPECT_EQ(error_of({"-c", huge}), "ringnats: " + huge + ":1:0: max_payload value is too big\n\n");
  std::string tok = dir.write("tok.conf", "authorization { user: a, token: b }\n");
  EXPECT_EQ(error_of({"-c", tok}), "ringnats: " + tok + ":1:0: Cannot have a user/pass and token\n\n");
  EXPECT_NE(error_of({"--shards", "-1"}).find("shards"), std::string::npos);
}

TEST(Config, ErrorsNameFileAndLine) {
  TempDir dir;
  std::string f = dir.write("e.conf",
                            "port: 4222\n"
                            "unknown_key: 5\n"
                            "host: 5\n"
                            "ping_interval: \"5x\"\n"
                            "cluster { listen: 0.0.0.0:6222, bogus: 1 }\n");
  EXPECT_EQ(error_of({"-c", f}), "ringnats: " + f + ":2:1: unknown field \"unknown_key\"\n" + f +
                                     ":3:1: interface conversion: interface {} is int64, not string\n" + f +
                                     ":4:1: error parsing ping_interval: time: unknown unit \"x\" in duration "
                                     "\"5x\"\n" +
                                     f + ":5:33: unknown field \"bogus\"\n\n");
  std::string syntax = dir.write("s.conf", "port: 4222\nfoo bar {\n");
  EXPECT_EQ(error_of({"-c", syntax}),
            "ringnats: Parse error on line 2: 'Expected a top-level value to end with a new line, comment or EOF, "
            "but got '{' instead.'\n");
  EXPECT_EQ(error_of({"-c", "/nonexistent.conf"}), "ringnats: open /nonexistent.conf: no such file or directory\n");
}

TEST(Config, VariablesAreNotUnknownFields) {
  TempDir dir;
  Options o = ok({"-c", dir.write("v.conf", "PORT = 4999\nport: $PORT\n")}).opts;
  EXPECT_EQ(o.port, 4999);
  std::string unused = dir.write("u.conf", "unused = 7\n");
  EXPECT_EQ(error_of({"-c", unused}), "ringnats: " + unused + ":1:0: unknown field \"unused\"\n\n");
}

// Every refused and ignored option has its own case in unsupported_test.cc.
TEST(Config, NatsFeaturesWeDoNotImplementAreReported) {
  TempDir dir;
  // JetStream is implemented: its options are taken, not reported.
  CliRun r = ok({"-c", dir.write("js.conf", "jetstream { store_dir: /tmp/x, domain: hub }\n"), "-js"});
  EXPECT_TRUE(r.res.ignored.empty());
  EXPECT_TRUE(r.opts.jetstream.enabled);
  EXPECT_EQ(r.opts.jetstream.store_dir, "/tmp/x");
  EXPECT_EQ(r.opts.jetstream.domain, "hub");
  // TLS is implemented: its errors are nats' (tests/tls checks them against stock).
  std::string tls = dir.write("tls.conf", "tls { cert_file: x }\n");
  EXPECT_EQ(error_of({"-c", tls}), "ringnats: " + tls + ":1:0: missing 'key_file' in TLS configuration\n\n");
  EXPECT_EQ(error_of({"--tls"}), "ringnats: TLS Server certificate must be present and valid\n");
}

// ---- Differential: same verdict and text as stock nats-server -t -c <file>.

const char* kNats = "/usr/sbin/nats-server";

using Outcome = ringnats::testing::Exit;

// Every case exits at once; the bound only keeps one from hanging the suite.
Outcome run_nats(const std::vector<std::string>& args, const std::string& cwd) {
  return ringnats::testing::run_binary(kNats, args, cwd, std::chrono::seconds(10));
}


TEST(NatsCompat, CheckConfigMatchesNatsServer) {
  if (access(kNats, X_OK) != 0) GTEST_SKIP() << "nats-server not installed";
  const char* corpus[] = {
      "port: 4222\n",
      "port: 4222\nfoo bar {\n",
      "port: 4222\nunknown_key: 5\n",
      "port: \"abc\"\n",
      "ping_interval: 5\n",
      "ping_interval: \"5x\"\nfoo: 1\nbar: 2\n",
      "write_deadline: \"2s\"\nping_interval: \"1m\"\n",
      "x = $NOPE_NOT_SET\n",
      "include \"nothere.conf\"\n",
      "cluster { listen: 0.0.0.0:6222, bogus: 1 }\n",
      "cluster { routes: [nats://a:1, nats://a:1] }\n",
      "cluster { routes: [\"nats://h:x\"] }\n",
      "cluster: 5\n",
      "cluster { authorization { user: a, token: b } }\n",
      "listen: localhost\n",
      "listen: \"localhost:abc\"\n",
      "http: \"127.0.0.1:8222\"\nhttp_port: 8222\n",
      "authorization { user: a, password: b, token: c }\n",
      "authorization { user: a, bogus: 1 }\n",
      "max_payload: 3GB\n",
      "max_payload: 100MB\n",
      "a = 1\nport: $a\n",
      "unused = 1\n",
      "debug: 1\n",
      "a: [1,,2]\n",
      "a {\n b: 1\n",
      "a: \"x\\q\"\n",
      "d: 2021-02-29T10:11:12Z\n",
      "a: 99999999999999999999\n",
      "{\n  port: 4222\n  debug: on\n}\n",
      "port: 4222 # c\n// c\nmax_control_line: 2KB\nmax_pending: 10MB\n",
      "include inc.conf\n",
      "lame_duck_duration: \"1m\"\n",
      "lame_duck_duration: \"10s\"\n",
      "lame_duck_duration: 40\n",
      "lame_duck_grace_period: \"-5s\"\n",
      "lame_duck_duration: \"40s\"\nlame_duck_grace_period: \"50s\"\n",
      "cluster { routes: [ {x: 1}, [true] ] }\n",
      "cluster {\n  routes: [\n    nats://a:1\n    5\n  ]\n}\n",
      "server_name: 'it''s'\n",
      "cluster { routes: [1, 2, 3]\n}\n",
      "port: 1\n  max_payload: \"x\"\n",
      "authorization {\n  user: $U\n}\n",
      "U = bob\nauthorization {\n  user: $U\n  password: $U\n}\n",
      "listen: 4222\nhttp: 8222\nport: 4223\nport: 4224\n",
      "cluster { port: 6222\n  authorization { user: a, password: b, timeout: 2.5 } }\n",
      "cluster { listen: \"127.0.0.1\" }\n",
      "max_control_line: 3GB\n",
      "write_deadline: 10\nping_interval: 2.5\n",
      "debug: true\ntrace: false\nlogtime: off\n",
      "key = 'a' b\n",
      "a = 1; b = 2, c = 3\n",
      "  port: 4222\n\tping_max: \"5\"\n",
      "cluster { name: 5 }\n",
      "cluster { routes: \"nats://a:1\" }\n",
      "\"port\": 4222\n'debug' = true\n",
      "port: 4222\ninclude 'bad.conf'\n",
      "port: 4222\r\ndebug: true\r\nbogus: 1\r\n",
      "port = 4222 // comment\nhttp_port: 8222\nmonitor_port: 8223\n",
      "x {\n  y: $Z\n}\n",
      "Z = 1\nx {\n  Z = 2\n  y: $Z\n}\n",
      "max_payload: 1.5\n",
      "authorization: 5\n",
      "authorization { timeout: \"x\", user: u }\n",
      "cluster { no_advertise: 1 }\n",
      "cluster { authorization { user: 5 } }\n",
      "cluster { routes: [\"nats://a:1\", 5, \"nats://b:x\"] }\n",
      "ping_interval: \"\"\n",
      "port: $HOME\n",
      // Blocks ringnats ignores are still checked for nats' unknown fields.
      "gateway { name: g, listen: \"127.0.0.1:7222\", bogus: 1 }\n",
      "gateway {\n  gateways: [ 5 ]\n}\n",
      "gateway: 5\n",
      "leafnodes {\n  remotes: [ {url: \"nats://h:1\", bogus: 1} ]\n}\n",
      "leafnodes { remotes: 5 }\n",
      "leafnodes { port: 7422, no_advertise: true }\n",
      "websocket { port: 8080, no_tls: true, nope: 1 }\n",
      "mqtt { port: 1883 }\n",
      "jetstream { store_dir: /tmp/js }\n",
  };
  TempDir dir;
  dir.write("inc.conf", "port: 1234\nbogus_inc: 1\n");
  dir.write("bad.conf", "port: 1\nnope {\n");
  int n = 0;
  for (const char* text : corpus) {
    std::string name = "case" + std::to_string(n++) + ".conf";
    dir.write(name, text);
    Outcome want = run_nats({"-c", name, "-t"}, dir.path());
    expect_check_like_nats(dir.path(), name, text, want.status, want.err);
  }
}

TEST(NatsCompat, FlagErrorsMatchNatsServer) {
  if (access(kNats, X_OK) != 0) GTEST_SKIP() << "nats-server not installed";
  std::vector<std::vector<std::string>> cases = {
      {"--bogus"}, {"-p", "abc"}, {"-p"}, {"-D=maybe"}, {"---x"}, {"-t"}, {"foo"},
      {"--routes", "nats://127.0.0.1:1"}, {"-p", "99999999999999999999"}, {"-c", "/nonexistent.conf"},
      {"--cluster", "nats://h:x"}, {"--cluster", "nats://u@h:1"}, {"--cluster", "nats://h:1:2"},
      {"-p", "4222", "extra"}, {"--cluster=nats://h:", "-a", "127.0.0.1"}, {"-c", "/tmp", "-t"},
      {"--cluster", "nats://[::1:7"}, {"--cluster", "nats://h :1"}, {"-DV=2"}};
  for (const auto& args : cases) {
    Outcome want = run_nats(args, "/tmp");
    std::vector<std::string> store{"ringnats"};
    store.insert(store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : store) argv.push_back(s.data());
    Options o;
    CliResult got = parse_cli(static_cast<int>(argv.size()), argv.data(), o);
    std::string want_err = want.err;
    for (size_t p; (p = want_err.find("nats-server: ")) != std::string::npos;) want_err.replace(p, 13, "ringnats: ");
    EXPECT_EQ(got.err, want_err) << args[0];
    EXPECT_EQ(got.exit_code, want.status) << args[0];
  }
}

}  // namespace
