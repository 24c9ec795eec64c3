// Users lists, nkeys, permissions and no_auth_user in the config file: what
// lands in Options::security, and nats-server 2.9's errors for bad entries
// (checked against stock `nats-server -t` when it is installed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "config/users_config.h"
#include "tests/config/cli_util.h"
#include "tests/config/test_util.h"

namespace ringnats {
namespace {

using testing::cli;
using testing::CliRun;
using testing::error_of;
using testing::ok;
using testing::TempDir;

constexpr const char* kNkey = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

TEST(UsersConfig, UsersListWithPermissions) {
  TempDir dir;
  std::string f = dir.write("u.conf", R"(authorization {
  default_permissions { publish: "def.>" }
  users: [
    {user: alice, password: pa, permissions: {publish: {allow: ["a.>"], deny: "a.b"}, subscribe: ["x", "y q"]}}
    {username: bob, pass: "$2a$11$abcdefghijklmnopqrstuu5D7LCaFV0B8QdBo2Db4FyHi2qN6hrZK"}
    {nkey: )" + std::string(kNkey) + R"(, permissions: {sub: {deny: ">"}, allow_responses: {max: 3, expires: "1m"}}}
    {user: carol, password: pc, allowed_connection_types: ["standard", "WEBSOCKET"]}
  ]
}
no_auth_user: bob
)");
  Options o = ok({"-c", f}).opts;
  const auto& u = o.security.users;
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[0].name, "alice");
  ASSERT_TRUE(u[0].permissions);
  EXPECT_EQ(u[0].permissions->publish.allow, std::vector<std::string>{"a.>"});
  EXPECT_EQ(u[0].permissions->publish.deny, std::vector<std::string>{"a.b"});
  EXPECT_EQ(u[0].permissions->subscribe.allow, (std::vector<std::string>{"x", "y q"}));
  EXPECT_EQ(u[1].name, "bob");
  ASSERT_TRUE(u[1].permissions);  // the default ones
  EXPECT_EQ(u[1].permissions->publish.allow, std::vector<std::string>{"def.>"});
  EXPECT_EQ(u[2].nkey, kNkey);
  ASSERT_TRUE(u[2].permissions);
  EXPECT_TRUE(u[2].permissions->allow_responses);
  EXPECT_EQ(u[2].permissions->responses.max, 3);
  EXPECT_EQ(u[2].permissions->responses.expires_ns, 60 * kSecond);
  EXPECT_TRUE(u[2].permissions->publish.set);  // allow_responses turns the blanket allow off
  EXPECT_EQ(u[3].allowed_connection_types, (std::vector<std::string>{"STANDARD", "WEBSOCKET"}));
  EXPECT_EQ(o.security.no_auth_user, "bob");
  for (const User& x : u) EXPECT_EQ(x.account, "");
}

TEST(UsersConfig, ParseUsersForAnAccount) {
  // The entry point accounts_config.cc calls for each account's users.
  auto pr = conf::parse_conf_string("users: [ {user: a, password: b}, {user: x, password: y} ]\n");
  ASSERT_TRUE(pr.ok) << pr.error;
  Options o;
  o.security.users.push_back(User{"x", "p", "", "", nullptr, {}});
  std::vector<std::string> errors, warnings, ignored;
  confparse::Sink s{errors, warnings, ignored};
  EXPECT_TRUE(parse_users(pr.root.items[0], "accounts.A.users", "A", o, s));
  ASSERT_EQ(o.security.users.size(), 2u);
  EXPECT_EQ(o.security.users[1].name, "a");
  EXPECT_EQ(o.security.users[1].account, "A");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], ":1:0: Duplicate user \"x\" detected");
}

TEST(UsersConfig, NoAuthUserIsValidatedAtStartNotUnderT) {
  TempDir dir;
  std::string f = dir.write("n.conf", "no_auth_user: zed\nauthorization { users: [ {user: a, password: b} ] }\n");
  EXPECT_EQ(cli({"-c", f, "-t"}).res.action, CliAction::TestConfigOk);
  EXPECT_EQ(error_of({"-c", f}),
            "ringnats: no_auth_user: \"zed\" not present as user in authorization block or account configuration\n");
  std::string g = dir.write("g.conf", "no_auth_user: zed\n");
  EXPECT_EQ(error_of({"-c", g}), "ringnats: no_auth_user: \"zed\" present, but users are not defined\n");
}

TEST(UsersConfig, PermissionsWithoutUsersAreRefused) {
  // nats drops them with a single user or a token: everyone could do
  // everything. ringnats refuses instead of ignoring.
  TempDir dir;
  std::string f = dir.write("p.conf", "authorization { user: a, password: b, permissions { publish: foo } }\n");
  std::string err = error_of({"-c", f});
  EXPECT_NE(err.find("has permissions but no users list"), std::string::npos) << err;
}

TEST(UsersConfig, ClusterAuthorizationStillRefusesUsers) {
  TempDir dir;
  std::string f = dir.write("c.conf", "cluster {\n  port: 6222\n  authorization {\n    users: [ {user: a, password: b} ]\n  }\n}\n");
  std::string err = error_of({"-c", f});
  EXPECT_NE(err.find("\"cluster.authorization.users\" is not supported by ringnats"), std::string::npos) << err;
}

// ---- Differential: same verdict and text as stock nats-server -t -c <file>.

const char* kNats = "/usr/sbin/nats-server";


TEST(UsersConfigNatsCompat, CheckConfigMatchesNatsServer) {
  if (access(kNats, X_OK) != 0) GTEST_SKIP() << "nats-server not installed";
  const std::string nk = kNkey;
  const std::vector<std::string> corpus = {
      "authorization { users: [ {user: a, password: b} ] }\n",
      "authorization { users: [ {user: a, password: b}, {user: a, password: c} ] }\n",
      "authorization { users: [ {nkey: " + nk + "}, {nkey: " + nk + "} ] }\n",
      "authorization { users: [ {password: x} ] }\n",
      "authorization { users: [ {nkey: UABC} ] }\n",
      "authorization { users: 5 }\n",
      "authorization { users: [ 5 ] }\n",
      "authorization { users: [ {user: a, bogus: 1} ] }\n",
      "authorization { users: [ {user: 5} ] }\n",
      "authorization { user: a, password: b, users: [ {user: c, password: d} ] }\n",
      "authorization { token: t, users: [ {user: c, password: d} ] }\n",
      "authorization { users: [ {user: a, permissions: 5} ] }\n",
      "authorization { users: [ {user: a, permissions: {bogus: 1}} ] }\n",
      "authorization { users: [ {user: a, permissions: {publish: {allow: [\"a..b\"]}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {publish: {allow: \"a b c\"}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {publish: {allow: \"a.> q\"}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {publish: {allow: [1]}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {publish: {what: x}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {publish: 7}} ] }\n",
      "authorization { users: [ {user: a, permissions: {publish: \">.a\"}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {subscribe: [\"foo q\", \"bar.*\"]}} ] }\n",
      "authorization { users: [ {user: a, permissions: {allow_responses: \"x\"}} ] }\n",
      "authorization { users: [ {user: a, permissions: {allow_responses: {max: \"x\"}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {allow_responses: {expires: \"5x\"}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {allow_responses: {expires: 5}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {allow_responses: {nope: 5}}} ] }\n",
      "authorization { users: [ {user: a, permissions: {allow_responses: true}} ] }\n",
      "authorization { users: [ {user: a, allowed_connection_types: [\"STANDARD\", \"bogus\"]} ] }\n",
      "authorization { users: [ {user: a, allowed_connection_types: 5} ] }\n",
      "authorization { users: [ {user: a} ], default_permissions: {publish: [\"x\"]} }\n",
      "authorization { users: [ {user: a} ], permissions: 5 }\n",
      "no_auth_user: a\nauthorization { users: [ {user: a} ] }\n",
      "no_auth_user: 5\n",
      // Users inside accounts, and the accounts block's own checks.
      // (nats walks maps in Go's random order, so a case whose error position
      // depends on which key comes first is no stable reference: a duplicate
      // across two accounts, or across accounts and authorization, or an nkey
      // user with a name. Within one list the order is fixed.)
      "accounts { A: { users: [ {user: a, password: b}, {user: a, password: c} ] } }\n",
      "accounts { A: { users: [ {user: a} ], default_permissions: {publish: \"x\"} } }\n",
      "accounts { A: 5 }\n",
      "accounts [ A, B, A ]\n",
      "accounts { $G: {} }\n",
      "accounts { A: { exports: [ {service: y, response_type: bogus} ] } }\n",
      "accounts { A: { exports: [ {stream: \"x.>\", accounts: [C]} ] } }\n",
      "accounts { A: { exports: [ {stream: \"x.>\"} ] }, B: { imports: [ {stream: {account: A, subject: \"y\"}} ] } }\n",
      "accounts { A: {}, B: { imports: [ {service: {account: A, subject: \"y\"}} ] } }\n",
      "accounts { A: { exports: [ {stream: \"x.>\"} ] }, B: { imports: [ {stream: {account: A, subject: \"x.>\"}, "
      "prefix: \"p.*\"} ] } }\n",
      "accounts { A: { exports: [ {service: s}, {stream: \"t.>\"} ], imports: [ {service: {account: B, subject: s}}, "
      "{stream: {account: B, subject: \"t.>\"}} ] }, B: { exports: [ {service: s}, {stream: \"t.>\"} ], imports: [ "
      "{service: {account: A, subject: s}}, {stream: {account: A, subject: \"t.>\"}} ] } }\n",
      "accounts { A: { exports: [ {service: s} ] }, B: { imports: [ {service: {account: A, subject: s}, to: r}, "
      "{service: {account: A, subject: s}, to: r} ] } }\n",
      "accounts { A: { jetstream: enabled }, B: { jetstream: false }, C: { jetstream: true } }\n",
      "accounts { A: { jetstream: sometimes } }\n",
      "accounts { A: { jetstream: 5 } }\n",
      "accounts { A: { jetstream: { max_streams: 2, consumers: 3, max_mem: -1, max_bytes_required: false } } }\n",
      "accounts { A: { jetstream: { max_streams: many } } }\n",
      "accounts { A: { jetstream: { max_bytes: 7 } } }\n",
      "accounts { A: { jetstream: { no_such_limit: 1 } } }\n",
  };
  TempDir dir;
  int n = 0;
  for (const std::string& text : corpus) {
    std::string name = "case" + std::to_string(n++) + ".conf";
    dir.write(name, text);
    testing::Exit want =
        testing::run_binary(kNats, {"-c", name, "-t"}, dir.path(), std::chrono::seconds(10));
    testing::expect_check_like_nats(dir.path(), name, text, want.status, want.err);
  }
}

}  // namespace
}  // namespace ringnats
