// The real ringnats binary with options it must refuse: it exits 1 before
// listening, with the location and reason on stderr; an option it may ignore
// starts it with a warning in the log.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/config/test_util.h"

using ringnats::testing::Exit;
using ringnats::testing::run_binary;
using ringnats::testing::TempDir;

namespace {

const char* binary() {
  if (const char* e = std::getenv("RINGNATS_BIN"); e && *e) return e;
  return RINGNATS_BIN;
}

// Runs the binary with args; killed (status -1) after `limit`, or sent
// SIGTERM after `limit` when `stop` is set and its normal exit collected.
Exit run(const std::vector<std::string>& args, std::chrono::milliseconds limit, bool stop = false) {
  return run_binary(binary(), args, "/tmp", limit, stop);
}

TEST(RefuseBinary, UnenforcedAccountOptionStopsTheServer) {
  TempDir dir;
  std::string f = dir.write("accounts.conf", "port: -1\naccounts { A: { mappings: { a: b } } }\n");
  Exit e = run({"-c", f}, std::chrono::seconds(10));
  EXPECT_EQ(e.status, 1) << e.err;
  EXPECT_EQ(e.err, "ringnats: " + f +
                       ":2:17: \"accounts.A.mappings\" is not supported by ringnats: this account setting decides "
                       "what the account's clients may do or see, and ringnats does not enforce it yet\n\n");
  EXPECT_EQ(e.err.find("Listening"), std::string::npos);
  // The same under -t.
  Exit t = run({"-c", f, "-t"}, std::chrono::seconds(10));
  EXPECT_EQ(t.status, 1);
  EXPECT_EQ(t.err, e.err);
}

// An account JetStream limit ringnats does not apply stops the server (a
// configured bound must hold); the ones it applies start it.
TEST(RefuseBinary, UnappliedAccountJetStreamLimitStopsTheServer) {
  TempDir dir;
  std::string f = dir.write("jsacc.conf", "port: -1\naccounts { A: { jetstream: { max_mem: 1G } } }\n");
  Exit e = run({"-c", f, "-t"}, std::chrono::seconds(10));
  EXPECT_EQ(e.status, 1) << e.err;
  EXPECT_NE(e.err.find("\"accounts.A.jetstream.max_mem\" is not supported by ringnats: ringnats does not apply this "
                       "JetStream account limit (only max_streams and max_consumers)"),
            std::string::npos)
      << e.err;
  std::string ok = dir.write("jsok.conf", "port: -1\naccounts { A: { jetstream: { max_streams: 2, max_mem: -1 } } }\n");
  Exit t = run({"-c", ok, "-t"}, std::chrono::seconds(10));
  EXPECT_EQ(t.status, 0) << t.err;
}

// A system account that names no account stops the server, as nats' does
// ("account missing"); one that names a configured account, or $SYS, runs.
TEST(RefuseBinary, SystemAccountMustExist) {
  TempDir dir;
  Exit e = run({"-c", dir.write("sys.conf", "port: -1\nsystem_account: SYS\n")}, std::chrono::seconds(10));
  EXPECT_EQ(e.status, 1) << e.err;
  EXPECT_EQ(e.err, "ringnats: error resolving system account: account missing\n");
  Exit ok = run({"-c", dir.write("sys2.conf", "port: -1\nsystem_account: SYS\naccounts { SYS {} }\n")},
                std::chrono::seconds(3), /*stop=*/true);
  EXPECT_NE(ok.err.find("Server is ready"), std::string::npos) << ok.err;
}

TEST(RefuseBinary, OtherRefusalsStopTheServer) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string expect;  // a part of stderr
  } cases[] = {
      {{"-c", dir.write("users.conf", "port: -1\ncluster { port: -1, authorization { users: [ {user: a, password: b} ] } }\n")},
       "\"cluster.authorization.users\" is not supported by ringnats"},
      {{"-c", dir.write("bcrypt.conf", "port: -1\ncluster { port: -1, authorization { user: a, password: "
                                       "\"$2a$11$ooo8kMeFxI9Gv1rc5DbSgO4rPkYxpPENhoGiGS26KPv2IGvGwqS9y\" } }\n")},
       "\"cluster.authorization.password\" is not supported by ringnats"},
      {{"-c", dir.write("leaf.conf", "port: -1\nleafnodes { port: -1, authorization { user: a, password: b } }\n")},
       ":2:23: \"leafnodes.authorization\" is not supported by ringnats"},
      {{"-c", dir.write("op.conf", "port: -1\noperator: /tmp/op.jwt\n")},
       ":2:1: \"operator\" is not supported by ringnats"},
      {{"-p", "-1", "-ms", "-1"}, "Can't start monitoring: TLS cert and key required for HTTPS"},
  };
  for (const Case& c : cases) {
    Exit e = run(c.args, std::chrono::seconds(10));
    EXPECT_EQ(e.status, 1) << c.expect << "\n" << e.err;
    EXPECT_NE(e.err.find(c.expect), std::string::npos) << e.err;
  }
}

TEST(RefuseBinary, IgnoredOptionStartsWithAWarning) {
  TempDir dir;
  std::string f = dir.write("js.conf", "port: -1\ndisable_sublist_cache: true\n");
  Exit e = run({"-c", f, "--shards", "1"}, std::chrono::milliseconds(1500), /*stop=*/true);
  EXPECT_EQ(e.status, 0) << e.err;
  EXPECT_NE(e.err.find("Option disable_sublist_cache is not supported by ringnats, ignored"), std::string::npos)
      << e.err;
  EXPECT_NE(e.err.find("Server is ready"), std::string::npos) << e.err;
}

}  // namespace
