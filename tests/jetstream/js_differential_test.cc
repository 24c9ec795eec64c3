// Differential: one scripted sequence of good and bad $JS.API requests and
// stream publishes, sent to stock `nats-server -js` and to ringnats; every
// answer's bytes must be the same once times and the ack timestamp are
// masked (same fields, order, types, error codes and texts). Consumers' pull
// deliveries and status messages are compared too, headers included.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "../integration/harness.h"
#include "js_harness.h"

namespace itest {
namespace {


struct Req {
  std::string subject, body, headers;  // headers: a full NATS/1.0 block, or empty
  int frames = 1;                      // answers to collect (pull requests: several)
};

// A MSG or HMSG frame as "<subject>|<reply field>|<headers>|<payload>",
// times and the ack timestamp masked; empty for any other frame.
std::string render_frame(const std::string& f) {
  if (f.rfind("MSG ", 0) != 0 && f.rfind("HMSG ", 0) != 0) return {};
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  static const std::regex kAckTs(R"((\$JS\.ACK\.[^ .]+\.[^ .]+\.\d+\.\d+\.\d+\.)\d+(\.\d+))");
  size_t eol = f.find("\r\n");
  std::string line = f.substr(0, eol), payload = f.substr(eol + 2, f.size() - eol - 4);
  std::vector<std::string> tok;
  for (size_t i = 0; i < line.size();) {
    size_t j = line.find(' ', i);
    if (j == std::string::npos) j = line.size();
    if (j > i) tok.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  bool hmsg = tok[0] == "HMSG";
  size_t fixed = hmsg ? 5 : 4;
  std::string reply = tok.size() > fixed ? tok[3] : "";
  std::string hdr = hmsg ? payload.substr(0, std::stoul(tok[tok.size() - 2])) : "";
  std::string body = hmsg ? payload.substr(hdr.size()) : payload;
  std::string rendered = tok[1] + "|" + reply + "|" + escape(hdr) + "|" + body;
  rendered = std::regex_replace(rendered, kTime, "<time>");
  return std::regex_replace(rendered, kAckTs, "$1<ts>$2");
}

// Frames read from `c`, rendered, until `enough` says so or none come for 3 s.
template <class Enough>
std::vector<std::string> read_frames(RawConn& c, Enough&& enough) {
  std::vector<std::string> got;
  for (;;) {
    std::vector<std::string> frames;
    size_t used = split_frames(c.buffer(), frames);
    c.buffer().erase(0, used);
    for (const std::string& f : frames)
      if (std::string r = render_frame(f); !r.empty()) got.push_back(std::move(r));
    if (enough(got)) break;
    if (c.read_some(3000) <= 0) break;
  }
  return got;
}

std::string wire_of(const Req& r, const std::string& inbox) {
  if (r.headers.empty())
    return "PUB " + r.subject + " " + inbox + " " + std::to_string(r.body.size()) + "\r\n" + r.body + "\r\n";
  return "HPUB " + r.subject + " " + inbox + " " + std::to_string(r.headers.size()) + " " +
         std::to_string(r.headers.size() + r.body.size()) + "\r\n" + r.headers + r.body + "\r\n";
}

// Sends `r` with its own inbox and returns the answers (MSG frames to it),
// each rendered as above.
std::vector<std::string> ask(RawConn& c, const Req& r, int n) {
  if (!c.send(wire_of(r, "_INBOX.d" + std::to_string(n)))) return {};
  return read_frames(c, [&](const std::vector<std::string>& got) { return static_cast<int>(got.size()) >= r.frames; });
}

std::vector<Req> script() {
  std::vector<Req> s;
  auto add = [&](std::string subj, std::string body, std::string hdr = {}, int frames = 1) {
    s.push_back(Req{std::move(subj), std::move(body), std::move(hdr), frames});
  };
  add("$JS.API.INFO", "");
  // Streams: creates good and bad.
  add("$JS.API.STREAM.CREATE.ORDERS", R"({"name":"ORDERS","subjects":["orders.>"]})");
  add("$JS.API.STREAM.CREATE.ORDERS", R"({"name":"ORDERS","subjects":["orders.>"]})");
  add("$JS.API.STREAM.CREATE.ORDERS", R"({"name":"ORDERS","subjects":["orders.>"],"max_msgs":5})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD",)");
  add("$JS.API.STREAM.CREATE.BAD", "");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","retention":"forever"})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"OTHER"})");
  add("$JS.API.STREAM.CREATE.a/b", R"({"name":"a/b"})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","sealed":true})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","num_replicas":3})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","num_replicas":-1})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","max_age":1000})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","max_age":1000000000,"duplicate_window":2000000000})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","subjects":["a.*","a.b"]})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","subjects":["$JS.API.x"]})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","subjects":["orders.x"]})");
  add("$JS.API.STREAM.CREATE.BAD", R"({"name":"BAD","deny_purge":true,"allow_rollup_hdrs":true})");
  add("$JS.API.STREAM.CREATE.MEM",
      R"({"name":"MEM","description":"d","subjects":["mem.*"],"retention":"workqueue","max_msgs":10,)"
      R"("max_bytes":100000,"max_age":3600000000000,"max_msgs_per_subject":5,"max_msg_size":1024,"discard":"new",)"
      R"("storage":"memory","duplicate_window":60000000000,"allow_direct":true,"allow_rollup_hdrs":true})");
  add("$JS.API.STREAM.CREATE.RU", R"({"name":"RU","subjects":["ru.*"],"allow_rollup_hdrs":true})");
  // Publishes and their acks.
  for (int i = 0; i < 3; ++i) add("orders." + std::to_string(i), "hello " + std::to_string(i));
  add("orders.h", "with hdr", "NATS/1.0\r\nFoo: bar\r\n\r\n");
  add("orders.id", "one", "NATS/1.0\r\nNats-Msg-Id: id1\r\n\r\n");
  add("orders.id", "one again", "NATS/1.0\r\nNats-Msg-Id: id1\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Sequence: 2\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Sequence: 5\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 3\r\n\r\n");
  // Too many digits wrap as Go's int64 does (2^64 + 7 is 7; the fuzzer's
  // 4444444444444444444 * 10 overflowed a signed int here); a letter is -1.
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Sequence: 44444444444444444444\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Sequence: 18446744073709551623\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 99999999999999999999\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Sequence: 7x\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Stream: NOPE\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Expected-Last-Msg-Id: nope\r\n\r\n");
  add("orders.x", "x", "NATS/1.0\r\nNats-Rollup: all\r\n\r\n");
  add("ru.a", "1");
  add("ru.a", "2");
  add("ru.b", "3");
  add("ru.a", "4", "NATS/1.0\r\nNats-Rollup: sub\r\n\r\n");
  add("mem.a", std::string(1100, 'x'));
  add("mem.a", "small");
  // Reading streams.
  add("$JS.API.STREAM.INFO.ORDERS", "");
  add("$JS.API.STREAM.INFO.ORDERS", R"({"subjects_filter":">"})");
  add("$JS.API.STREAM.INFO.ORDERS", R"({"subjects_filter":"orders.*","offset":1})");
  add("$JS.API.STREAM.INFO.RU", R"({"deleted_details":true})");
  add("$JS.API.STREAM.INFO.NOPE", "");
  add("$JS.API.STREAM.INFO.ORDERS", "{bad");
  add("$JS.API.STREAM.NAMES", "");
  add("$JS.API.STREAM.NAMES", R"({"subject":"mem.a"})");
  add("$JS.API.STREAM.NAMES", R"({"subject":"zzz"})");
  add("$JS.API.STREAM.NAMES", R"({"offset":10})");
  add("$JS.API.STREAM.NAMES", "{bad");
  add("$JS.API.STREAM.LIST", "");
  add("$JS.API.STREAM.LIST", R"({"subject":"zzz"})");
  add("$JS.API.STREAM.MSG.GET.ORDERS", R"({"seq":2})");
  add("$JS.API.STREAM.MSG.GET.ORDERS", R"({"seq":4})");
  add("$JS.API.STREAM.MSG.GET.ORDERS", R"({"last_by_subj":"orders.1"})");
  add("$JS.API.STREAM.MSG.GET.ORDERS", R"({"seq":1,"next_by_subj":"orders.2"})");
  add("$JS.API.STREAM.MSG.GET.ORDERS", R"({"seq":99})");
  add("$JS.API.STREAM.MSG.GET.ORDERS", "");
  add("$JS.API.STREAM.MSG.GET.ORDERS", R"({"seq":1,"last_by_subj":"x"})");
  add("$JS.API.STREAM.MSG.GET.ORDERS", "{bad");
  add("$JS.API.STREAM.MSG.GET.NOPE", R"({"seq":1})");
  add("$JS.API.DIRECT.GET.MEM", R"({"seq":1})");
  add("$JS.API.DIRECT.GET.MEM", R"({"last_by_subj":"mem.a"})");
  add("$JS.API.DIRECT.GET.MEM", R"({"seq":99})");
  add("$JS.API.DIRECT.GET.MEM", "");
  add("$JS.API.DIRECT.GET.MEM", "{bad");
  add("$JS.API.DIRECT.GET.MEM", R"({"seq":1,"last_by_subj":"mem.a"})");
  add("$JS.API.DIRECT.GET.MEM.mem.a", "");
  add("$JS.API.DIRECT.GET.MEM.mem.zz", "");
  // Changing streams.
  add("$JS.API.STREAM.MSG.DELETE.ORDERS", R"({"seq":1})");
  add("$JS.API.STREAM.MSG.DELETE.ORDERS", R"({"seq":1})");
  add("$JS.API.STREAM.MSG.DELETE.ORDERS", R"({"seq":99})");
  add("$JS.API.STREAM.MSG.DELETE.ORDERS", "");
  add("$JS.API.STREAM.MSG.DELETE.NOPE", R"({"seq":1})");
  add("$JS.API.STREAM.UPDATE.ORDERS", R"({"name":"ORDERS","subjects":["orders.>","more.>"],"max_msgs":100})");
  add("$JS.API.STREAM.UPDATE.ORDERS", R"({"name":"ORDERS","subjects":["orders.>"],"storage":"memory"})");
  add("$JS.API.STREAM.UPDATE.ORDERS", R"({"name":"X"})");
  add("$JS.API.STREAM.UPDATE.NOPE", R"({"name":"NOPE"})");
  add("$JS.API.STREAM.PURGE.RU", R"({"seq":1,"keep":1})");
  add("$JS.API.STREAM.PURGE.RU", R"({"filter":"ru.b"})");
  add("$JS.API.STREAM.PURGE.NOPE", "");
  add("$JS.API.STREAM.PURGE.RU", "{bad");
  // Consumers.
  add("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.D1", R"({"stream_name":"ORDERS","config":{"durable_name":"D1","ack_policy":"explicit"}})");
  add("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.D1", R"({"stream_name":"ORDERS","config":{"durable_name":"D1","ack_policy":"explicit"}})");
  add("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.D1", R"({"stream_name":"ORDERS","config":{"durable_name":"D1","ack_policy":"all"}})");
  add("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.D1", R"({"stream_name":"ORDERS","config":{"durable_name":"D2"}})");
  add("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.D1", R"({"stream_name":"ORDERS","config":{}})");
  add("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.D1", R"({"stream_name":"OTHER","config":{"durable_name":"D1"}})");
  add("$JS.API.CONSUMER.DURABLE.CREATE.NOPE.D1", R"({"stream_name":"NOPE","config":{"durable_name":"D1"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.N1", R"({"stream_name":"ORDERS","config":{"ack_policy":"explicit"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.N2", R"({"stream_name":"ORDERS","config":{"durable_name":"N2","ack_policy":"explicit"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.N3", R"({"stream_name":"ORDERS","config":{"durable_name":"X3"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.F1.orders.1", R"({"stream_name":"ORDERS","config":{"ack_policy":"explicit","filter_subject":"orders.1"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.F2.orders.1", R"({"stream_name":"ORDERS","config":{"filter_subject":"orders.2"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.F3", R"({"stream_name":"ORDERS","config":{"filter_subject":"zzz"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.B1", R"({"stream_name":"ORDERS","config":{"name":"B1","durable_name":"B1","deliver_subject":"dlv.*"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.B2", R"({"stream_name":"ORDERS","config":{"idle_heartbeat":1000000000}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.B3", R"({"stream_name":"ORDERS","config":{"deliver_subject":"dlv.b3","flow_control":true}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.B4", R"({"stream_name":"ORDERS","config":{"deliver_policy":"by_start_sequence"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.B5", R"({"stream_name":"ORDERS","config":{"num_replicas":3}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.B6", "");
  add("$JS.API.CONSUMER.CREATE.ORDERS.PN", R"({"stream_name":"ORDERS","config":{"durable_name":"PN","deliver_subject":"dlv.pn"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.LPS", R"({"stream_name":"ORDERS","config":{"deliver_policy":"last_per_subject","filter_subject":"orders.1"}})");
  add("$JS.API.CONSUMER.CREATE.ORDERS.BSS", R"({"stream_name":"ORDERS","config":{"deliver_policy":"by_start_sequence","opt_start_seq":2,"ack_policy":"all","ack_wait":1000000000,"max_deliver":3,"backoff":[1000000000,2000000000]}})");
  add("$JS.API.CONSUMER.INFO.ORDERS.D1", "");
  add("$JS.API.CONSUMER.INFO.ORDERS.NOPE", "");
  add("$JS.API.CONSUMER.INFO.NOPE.D1", "");
  add("$JS.API.CONSUMER.INFO.ORDERS.D1", "x");
  add("$JS.API.CONSUMER.NAMES.ORDERS", "");
  add("$JS.API.CONSUMER.NAMES.ORDERS", R"({"offset":2})");
  add("$JS.API.CONSUMER.NAMES.NOPE", "");
  add("$JS.API.CONSUMER.LIST.NOPE", "");
  add("$JS.API.CONSUMER.LIST.ORDERS", "{bad");
  // Pull: a batch filled, then a no_wait batch that runs out, then nothing.
  add("$JS.API.CONSUMER.MSG.NEXT.ORDERS.D1", R"({"batch":2})", {}, 2);
  add("$JS.API.CONSUMER.MSG.NEXT.ORDERS.D1", R"({"batch":20,"no_wait":true})", {}, 4);
  add("$JS.API.CONSUMER.MSG.NEXT.ORDERS.D1", R"({"no_wait":true})");
  add("$JS.API.CONSUMER.INFO.ORDERS.D1", "");
  add("$JS.API.CONSUMER.DELETE.ORDERS.N2", "");
  add("$JS.API.CONSUMER.DELETE.ORDERS.N2", "");
  add("$JS.API.CONSUMER.DELETE.ORDERS.N1", "x");
  add("$JS.API.STREAM.INFO.ORDERS", "");
  // Away with it.
  add("$JS.API.STREAM.DELETE.ORDERS", "x");
  add("$JS.API.STREAM.DELETE.ORDERS", "");
  add("$JS.API.STREAM.DELETE.ORDERS", "");
  add("$JS.API.STREAM.NAMES", "");
  return s;
}

// A client that sees every answer to its inboxes; `login` adds fields to
// CONNECT (",\"user\":...").
bool open_asker(RawConn& c, int port, const std::string& login = "") {
  std::string line, pong;
  return c.connect(port) && c.read_line(line) &&
         c.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1" + login +
                "}\r\nSUB _INBOX.> 1\r\n") &&
         c.ping_pong(pong);
}

std::vector<std::vector<std::string>> run(const std::string& bin, const std::string& dir) {
  ServerProcess srv;
  std::string err;
  std::vector<std::vector<std::string>> out;
  if (!srv.start(bin, 2, {"-js", "-sd", dir}, &err)) {
    ADD_FAILURE() << bin << ": " << err;
    return out;
  }
  RawConn c;
  if (!open_asker(c, srv.port())) {
    ADD_FAILURE() << "connect to " << bin;
    return out;
  }
  int n = 0;
  for (const Req& r : script()) {
    auto t0 = std::chrono::steady_clock::now();
    out.push_back(ask(c, r, ++n));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    if (ms > 500) std::fprintf(stderr, "%s: request %d took %lld ms\n", bin.c_str(), n - 1, static_cast<long long>(ms));
  }
  return out;
}

TEST(JetStreamDifferential, ApiAnswersMatchStock) {
  StoreDir a, b;
  auto stock = run(stock_bin(), a.path);
  auto ours = run(ringnats_bin(), b.path);
  std::vector<Req> reqs = script();
  ASSERT_EQ(stock.size(), reqs.size());
  ASSERT_EQ(ours.size(), reqs.size());
  int diffs = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (stock[i] == ours[i]) continue;
    ++diffs;
    std::string s, o;
    for (const auto& f : stock[i]) s += "\n    " + f;
    for (const auto& f : ours[i]) o += "\n    " + f;
    ADD_FAILURE() << "request " << i << ": " << reqs[i].subject << " " << reqs[i].body << "\n  stock:" << s
                  << "\n  ringnats:" << o;
  }
  EXPECT_EQ(diffs, 0);
}

// Which JetStream answers an account gets: its own, another account's
// through a service import of "$JS.API.>" (that account's only: nats lets
// the import take the place of the account's own API), or nats' 10039 "not
// enabled" on every request that has a response type. Account X has
// JetStream and makes stream S; account Y asks. Each request is followed by
// a second one as a fence: an extra answer from Y's own API, which answers
// in its turn, would come before the fence's. (ringnats answered twice
// through an import, and an account without JetStream on INFO only.)
std::vector<std::string> answers_to_y(const std::string& bin, const std::string& dir, const std::string& accounts) {
  TempConfig conf(accounts);
  ServerProcess srv;
  std::string err;
  if (!srv.start(bin, 2, {"-c", conf.path(), "-js", "-sd", dir}, &err)) {
    ADD_FAILURE() << bin << ": " << err;
    return {};
  }
  RawConn x, y;
  if (!open_asker(x, srv.port(), ",\"user\":\"x\",\"pass\":\"px\"") ||
      !open_asker(y, srv.port(), ",\"user\":\"y\",\"pass\":\"py\"")) {
    ADD_FAILURE() << "login to " << bin;
    return {};
  }
  std::vector<std::string> out =
      ask(x, Req{"$JS.API.STREAM.CREATE.S", R"({"name":"S","subjects":["s.>"]})", "", 1}, 0);
  const std::pair<const char*, const char*> requests[] = {
      {"$JS.API.INFO", ""},
      {"$JS.API.STREAM.INFO.S", ""},
      {"$JS.API.STREAM.NAMES", ""},
      {"$JS.API.STREAM.LIST", ""},
      {"$JS.API.CONSUMER.INFO.S.C", ""},
      {"$JS.API.STREAM.CREATE.T", R"({"name":"T","subjects":["t.>"]})"},
  };
  int n = 0;
  for (const auto& [subject, body] : requests) {
    std::string fence = "_INBOX.fence" + std::to_string(n);
    if (!y.send(wire_of(Req{subject, body, "", 1}, "_INBOX.y" + std::to_string(n)) +
                wire_of(Req{"$JS.API.INFO", "", "", 1}, fence)))
      break;
    const std::string answer = "_INBOX.y" + std::to_string(n++) + "|";
    std::vector<std::string> got = read_frames(y, [&](const std::vector<std::string>& g) {
      bool fenced = false, answered = false;
      for (const std::string& f : g) {
        fenced = fenced || f.rfind(fence + "|", 0) == 0;
        answered = answered || f.rfind(answer, 0) == 0;
      }
      return fenced && answered;
    });
    // The fence may overtake an answer that its stream's shard gives.
    std::sort(got.begin(), got.end());
    for (std::string& f : got) out.push_back(std::move(f));
  }
  return out;
}

TEST(JetStreamDifferential, WhoAnswersAnAccountsJetStreamRequests) {
  const std::string x = "  X: { jetstream: enabled, users: [{user: x, password: px}],\n"
                        "       exports: [{service: \"$JS.API.>\"}] }\n";
  const std::string sys = "  SYS: { users: [{user: s, password: ps}], exports: [{service: \"$JS.API.>\"}] }\n";
  auto y = [](bool js, const char* import_from) {
    std::string a = std::string("  Y: { ") + (js ? "jetstream: enabled, " : "") + "users: [{user: y, password: py}]";
    if (import_from) a += std::string(",\n       imports: [{service: {account: ") + import_from + ", subject: \"$JS.API.>\"}}]";
    return a + " }\n";
  };
  const std::pair<const char*, std::string> cases[] = {
      {"no JetStream", "accounts {\n" + x + y(false, nullptr) + "}\n"},
      {"no JetStream, X's API imported", "accounts {\n" + x + y(false, "X") + "}\n"},
      {"JetStream, X's API imported", "accounts {\n" + x + y(true, "X") + "}\n"},
      {"no JetStream, the system account's API imported",
       "system_account: SYS\naccounts {\n" + sys + x + y(false, "SYS") + "}\n"},
      {"JetStream, the system account's API imported",
       "system_account: SYS\naccounts {\n" + sys + x + y(true, "SYS") + "}\n"},
  };
  for (const auto& [name, accounts] : cases) {
    SCOPED_TRACE(name);
    StoreDir a, b;
    std::vector<std::string> stock = answers_to_y(stock_bin(), a.path, accounts);
    std::vector<std::string> ours = answers_to_y(ringnats_bin(), b.path, accounts);
    // Account info's API counters are compared by the scripted test; here
    // they differ (ours count server-wide, and a missing consumer is not an
    // error), which is not what this test is about.
    static const std::regex kApiCounts(R"("api":\{"total":\d+,"errors":\d+\})");
    for (auto* v : {&stock, &ours})
      for (std::string& f : *v) f = std::regex_replace(f, kApiCounts, "\"api\":<counts>");
    EXPECT_EQ(stock.size(), 13u);  // the create, then each request's answer and its fence's
    EXPECT_EQ(ours, stock);
  }
}

}  // namespace
}  // namespace itest
