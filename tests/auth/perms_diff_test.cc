// Publish/subscribe permissions against stock nats-server 2.9: the same
// users config and the same raw bytes (allow, deny, wildcard allow/deny, the
// delivery filter of a wildcard SUB, queue-form subscribe permissions,
// allow_responses, verbose mode) sent to both; every connection's bytes must
// be identical, -ERR texts and deliveries alike.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.h"

namespace {

using namespace itest;

const char* kConfig = R"(authorization {
  users: [
    {user: a, password: pa, permissions: {
      publish: {allow: ["foo.>", "req", "_INBOX.>"], deny: ["foo.bad"]}
      subscribe: {allow: ["foo.*", "bar", "bar grp", "q.x grp", "q.y *.g", "_INBOX.>", "w.*"],
                  deny: ["foo.secret", "bar grp2", "w.no"]}}}
    {user: r, password: pr, permissions: {
      publish: {deny: ["x"]}, subscribe: ["req", "resp.>"], allow_responses: {max: 2}}}
    {user: s, password: ps, permissions: {subscribe: {allow: ">", deny: ["secret.*", "vip q1"]}}}
    {user: e, password: pe, permissions: {publish: "only", allow_responses: true}}
    {user: all, password: pall}
  ]
}
)";

std::string login(const char* user, const char* pass, bool verbose = false) {
  std::string s = "CONNECT {\"user\":\"";
  s.append(user).append("\",\"pass\":\"").append(pass).append("\",\"verbose\":");
  s.append(verbose ? "true" : "false").append(",\"pedantic\":false}\r\n");
  return s;
}
Step on(int c, std::string b) { return Step{c, {std::move(b)}, true, 0}; }

struct Case {
  std::string name;
  int nconns;
  std::vector<Step> steps;
};

std::vector<Case> cases() {
  std::vector<Case> v;
  v.push_back({"PublishAllowDeny", 2, {
      on(0, login("all", "pall") + "SUB > 1\r\n"),
      on(1, login("a", "pa")),
      on(1, "PUB foo.a 1\r\nx\r\nPUB foo.bad 1\r\ny\r\nPUB zzz 1\r\nz\r\nPUB foo 0\r\n\r\nPUB foo.* 2\r\nwc\r\n"),
      on(1, "HPUB foo.b 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPUB req reply.x 1\r\nr\r\n"),
      on(1, "PUB foo..a 1\r\nq\r\nPUB \"foo.a\" 1\r\nq\r\n"),
  }});
  v.push_back({"SubscribeAllowDenyAndWildcardFilter", 2, {
      on(0, login("a", "pa") + "SUB foo.* 1\r\nSUB foo.> 2\r\nSUB baz 3\r\nSUB foo.secret 4\r\nSUB w.* 5\r\n"),
      on(0, "SUB > 6\r\nSUB foo.*.x 7\r\nSUB w.no 8\r\nSUB w.yes 9\r\n"),
      on(1, login("all", "pall")),
      on(1, "PUB foo.secret 1\r\n1\r\nPUB foo.ok 1\r\n2\r\nPUB w.no 1\r\n3\r\nPUB w.yes 1\r\n4\r\nPUB foo.a.x 1\r\n5\r\n"),
  }});
  v.push_back({"QueuePermissions", 2, {
      on(0, login("a", "pa") + "SUB q.x grp 1\r\nSUB q.x other 2\r\nSUB q.x 3\r\nSUB bar grp2 4\r\n"),
      on(0, "SUB bar grp 5\r\nSUB bar 6\r\nSUB bar other 7\r\nSUB q.y a.g 8\r\nSUB q.y a.h 9\r\nSUB q.y *.g 10\r\n"),
      on(1, login("all", "pall") + "PUB q.x 1\r\nq\r\nPUB bar 1\r\nb\r\n"),
  }});
  v.push_back({"DenyQueueEntries", 2, {
      on(0, login("s", "ps") + "SUB vip q1 1\r\nSUB vip q2 2\r\nSUB vip 3\r\nSUB secret.a 4\r\nSUB secret.> 5\r\n"),
      on(0, "SUB > 6\r\n"),
      on(1, login("all", "pall") + "PUB secret.a 1\r\n1\r\nPUB vip 1\r\n2\r\nPUB open 1\r\n3\r\nPUB secret 1\r\n4\r\n"),
  }});
  v.push_back({"AllowResponses", 2, {
      on(0, login("r", "pr") + "SUB req 1\r\nSUB resp.> 2\r\n"),
      on(1, login("all", "pall") + "SUB reply.1 1\r\nSUB reply.2 2\r\nSUB x 3\r\nSUB other 4\r\n"),
      on(1, "PUB req reply.1 1\r\nq\r\nPUB req reply.2 1\r\nq\r\n"),
      on(0, ""),  // a round trip on the responder: the requests (from another shard) are in
      on(0, "PUB reply.1 1\r\na\r\nPUB reply.1 1\r\nb\r\nPUB reply.1 1\r\nc\r\nPUB reply.2 1\r\nd\r\n"),
      on(0, "PUB x 1\r\ne\r\nPUB other 1\r\nf\r\nPUB reply.9 1\r\ng\r\n"),
  }});
  v.push_back({"AllowResponsesDefaultMaxOne", 2, {
      on(0, login("e", "pe") + "SUB svc 1\r\n"),
      on(1, login("all", "pall") + "SUB inbox.> 1\r\nPUB svc inbox.1 1\r\nq\r\n"),
      on(0, ""),
      on(0, "PUB inbox.1 1\r\na\r\nPUB inbox.1 1\r\nb\r\nPUB only 1\r\nc\r\nPUB other 1\r\nd\r\n"),
  }});
  v.push_back({"VerboseViolations", 1, {
      on(0, login("a", "pa", true)),
      on(0, "SUB baz 1\r\nSUB foo.x 2\r\nPUB zzz 1\r\nz\r\nPUB foo.x 1\r\nx\r\nUNSUB 2\r\n"),
  }});
  v.push_back({"WildcardSubjectsAgainstAllow", 2, {
      on(0, login("a", "pa") + "SUB foo.> 1\r\nSUB foo.*.* 2\r\nSUB * 3\r\nSUB > 4\r\nSUB _INBOX.* 5\r\n"),
      on(1, login("all", "pall") + "PUB foo.a 1\r\n1\r\nPUB foo.a.b 1\r\n2\r\n"),
  }});
  v.push_back({"WrongPassword", 1, {on(0, login("a", "nope"))}});
  v.push_back({"UnknownUser", 1, {on(0, login("zed", "pa"))}});
  v.push_back({"NoConnectFirst", 1, {on(0, "SUB foo.a 1\r\n")}});
  v.push_back({"TokenWithUsersList", 1, {on(0, "CONNECT {\"auth_token\":\"pa\"}\r\n")}});
  v.push_back({"AccountInConnect", 1, {on(0, "CONNECT {\"user\":\"all\",\"pass\":\"pall\",\"account\":\"A\"}\r\n")}});
  return v;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class PermsDiff : public ::testing::TestWithParam<Case> {};

TEST_P(PermsDiff, SameBytesAsNatsServer) {
  const Case& tc = GetParam();
  TempConfig cfg(kConfig);
  std::vector<ConnResult> stock;
  {
    ServerProcess srv;
    std::string err;
    ASSERT_TRUE(srv.start(stock_bin(), 0, {"-c", cfg.path()}, &err)) << err;
    stock = run_conversation(srv.port(), tc.nconns, tc.steps);
  }
  std::vector<std::string> target;
  for (auto& r : stock) {
    EXPECT_FALSE(r.timed_out);
    target.push_back(r.transcript);
  }
  std::vector<ConnResult> ring;
  {
    ServerProcess srv;
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), 2, {"-c", cfg.path()}, &err)) << err;
    ring = run_conversation(srv.port(), tc.nconns, tc.steps, &target);
  }
  ASSERT_EQ(ring.size(), stock.size());
  for (size_t i = 0; i < ring.size(); ++i) {
    EXPECT_EQ(ring[i].info, stock[i].info) << "INFO differs, conn " << i;
    EXPECT_EQ(escape(ring[i].transcript), escape(stock[i].transcript)) << "conn " << i;
    EXPECT_EQ(ring[i].closed, stock[i].closed) << "conn " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Auth, PermsDiff, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

}  // namespace
