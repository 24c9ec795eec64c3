// Differential protocol tests: each conversation is played against a fresh
// stock nats-server and a fresh ringnats; the first must match the table
// (which keeps the table honest) and the second must match the first.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "harness.h"

namespace itest {
namespace {

constexpr bool kOpen = false;
constexpr bool kClosed = true;

// Expected output of one connection: every frame after the first INFO (the
// harness's own PONGs are left out), and whether the server closed it.
struct Out {
  std::string bytes;
  bool closed;
};

struct Case {
  std::string name;
  int nconns;
  std::vector<Step> steps;
  std::vector<Out> expect;
};

// Steps. `on` sends and then syncs with PING/PONG; `then` sends without
// syncing (the final PING of the run follows the bytes directly); `split`
// sends each chunk with its own send(); `bytes` sends one byte per send().
Step on(int c, std::string b) { return Step{c, {std::move(b)}, true, 0}; }
Step then(int c, std::string b) { return Step{c, {std::move(b)}, false, 0}; }
Step split(int c, std::vector<std::string> chunks) { return Step{c, std::move(chunks), true, 300}; }
Step bytes(int c, const std::string& b) { return Step{c, bytewise(b), true, 200}; }

const std::string kQuiet = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
const std::string kHdrs =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}\r\n";
const std::string kHeader = "NATS/1.0\r\nX-K: v\r\n\r\n";  // 20 bytes

const std::string kUnknownOp = "-ERR 'Unknown Protocol Operation'\r\n";

std::string big(size_t n) { return std::string(n, 'x'); }

std::vector<Case> cases() {
  std::vector<Case> c;
  auto one = [&](std::string name, std::vector<Step> steps, std::string out, bool closed) {
    c.push_back(Case{std::move(name), 1, std::move(steps), {Out{std::move(out), closed}}});
  };

  // ---- CONNECT
  one("connect_verbose_true", {then(0, "CONNECT {\"verbose\":true}\r\n")}, "+OK\r\n", kOpen);
  one("connect_verbose_false", {then(0, "CONNECT {\"verbose\":false}\r\n")}, "", kOpen);
  one("connect_empty_object_is_verbose", {then(0, "CONNECT {}\r\n")}, "+OK\r\n", kOpen);
  one("connect_pedantic_verbose",
      {then(0, "CONNECT {\"verbose\":true,\"pedantic\":true}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n")},
      "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\n", kOpen);
  one("connect_protocol_1", {then(0, "CONNECT {\"verbose\":false,\"protocol\":1}\r\n")}, "", kOpen);
  one("connect_protocol_2", {then(0, "CONNECT {\"verbose\":false,\"protocol\":2}\r\n")},
      "-ERR 'invalid client protocol'\r\n", kClosed);
  one("connect_no_responders_without_headers",
      {then(0, "CONNECT {\"verbose\":false,\"no_responders\":true}\r\n")},
      "-ERR 'no responders requires headers support'\r\n", kClosed);
  one("connect_bad_json", {then(0, "CONNECT {\"verbose\":fals}\r\n")}, "", kClosed);
  one("connect_not_json", {then(0, "CONNECT hello\r\n")}, "", kClosed);
  one("connect_account_field", {then(0, "CONNECT {\"verbose\":false,\"account\":\"A\"}\r\n")},
      "-ERR 'Authorization Violation'\r\n", kClosed);
  one("connect_libnats_style",
      {then(0, "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"\","
               "\"lang\":\"C\",\"version\":\"3.4.1\",\"protocol\":1,\"echo\":true,\"headers\":true,"
               "\"no_responders\":true}\r\nPING\r\n")},
      "PONG\r\n", kOpen);

  // ---- no CONNECT at all: defaults are verbose + pedantic
  one("no_connect_telnet_style", {then(0, "SUB foo 1\r\nPUB foo 2\r\nhi\r\n")},
      "+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\n", kOpen);
  one("no_connect_pedantic_pub", {then(0, "SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n")},
      "+OK\r\n-ERR 'Invalid Publish Subject'\r\n+OK\r\nMSG foo.* 1 2\r\nhi\r\n", kOpen);
  one("no_connect_ping", {then(0, "PING\r\n")}, "PONG\r\n", kOpen);

  // ---- op names and separators
  one("unknown_op", {then(0, kQuiet + "FOO bar\r\n")}, kUnknownOp, kClosed);
  one("lower_case_ops", {then(0, "connect {\"verbose\":false}\r\nsub foo 1\r\npub foo 2\r\nhi\r\nping\r\n")},
      "MSG foo 1 2\r\nhi\r\nPONG\r\n", kOpen);
  one("mixed_case_ops", {then(0, "CoNnEcT {\"verbose\":false}\r\nSuB foo 1\r\nPuB foo 2\r\nhi\r\nPiNg\r\n")},
      "MSG foo 1 2\r\nhi\r\nPONG\r\n", kOpen);
  one("ping_lf_only", {then(0, kQuiet + "PING\n")}, "PONG\r\n", kOpen);
  one("control_lines_lf_only", {then(0, "CONNECT {\"verbose\":false}\nSUB foo 1\nPUB foo 2\nhi\r\nPING\n")},
      "MSG foo 1 2\r\nhi\r\nPONG\r\n", kOpen);
  one("payload_followed_by_lf_only", {then(0, kQuiet + "SUB foo 1\r\nPUB foo 2\r\nhi\n")}, kUnknownOp,
      kClosed);
  one("tabs_and_space_runs", {then(0, kQuiet + "SUB \t foo\t\t1\r\nPUB  foo \t 2\r\nhi\r\n")},
      "MSG foo 1 2\r\nhi\r\n", kOpen);
  one("ping_trailing_spaces", {then(0, kQuiet + "PING   \r\n")}, "PONG\r\n", kOpen);
  one("empty_line", {then(0, kQuiet + "\r\n")}, kUnknownOp, kClosed);

  // ---- SUB
  one("sub_no_sid", {then(0, kQuiet + "SUB foo\r\n")}, "", kClosed);
  one("sub_no_args", {then(0, kQuiet + "SUB\r\n")}, kUnknownOp, kClosed);
  one("sub_too_many_args", {then(0, kQuiet + "SUB foo q 1 extra\r\n")}, "", kClosed);
  for (std::string bad : {"foo..bar", "foo.>.bar", ".foo", "foo."}) {
    std::string nm = "sub_invalid_subject_";
    for (char ch : bad) nm += (ch == '.') ? "D" : (ch == '>') ? "GT" : std::string(1, ch);
    one(nm, {then(0, kQuiet + "SUB " + bad + " 1\r\nSUB ok 2\r\nPUB ok 1\r\nx\r\n")},
        "-ERR 'Invalid Subject'\r\nMSG ok 2 1\r\nx\r\n", kOpen);
  }
  // A published subject with an empty token matches nothing, not even '>'.
  for (std::string pattern : {">", "a.>", "a.*", "*.b", "*.*"}) {
    std::string nm = "pub_empty_tokens_match_no_";
    for (char ch : pattern) nm += (ch == '.') ? "D" : (ch == '>') ? "GT" : (ch == '*') ? "STAR" : std::string(1, ch);
    one(nm,
        {then(0, kQuiet + "SUB " + pattern + " 1\r\nPUB a..b 1\r\nx\r\nPUB a. 1\r\ny\r\nPUB .b 1\r\nz\r\n"
                          "PUB . 1\r\nv\r\nPUB a.b 1\r\nw\r\n")},
        "MSG a.b 1 1\r\nw\r\n", kOpen);
  }
  one("sub_invalid_subject_verbose", {then(0, "CONNECT {}\r\nSUB foo..bar 1\r\n")},
      "+OK\r\n-ERR 'Invalid Subject'\r\n", kOpen);
  one("sub_reusing_sid_is_ignored",
      {then(0, kQuiet + "SUB foo 1\r\nSUB bar 1\r\nPUB foo 1\r\na\r\nPUB bar 1\r\nb\r\n")},
      "MSG foo 1 1\r\na\r\n", kOpen);
  one("sub_wildcard_literal_star", {then(0, kQuiet + "SUB foo* 1\r\nPUB foo* 1\r\na\r\nPUB fooX 1\r\nb\r\n")},
      "MSG foo* 1 1\r\na\r\n", kOpen);

  // ---- UNSUB
  one("unsub_no_args", {then(0, kQuiet + "UNSUB\r\n")}, kUnknownOp, kClosed);
  one("unsub_too_many_args", {then(0, kQuiet + "UNSUB 1 2 3\r\n")}, "", kClosed);
  // A max that is not a number is taken as "no max": the sub goes at once.
  one("unsub_bad_max", {then(0, kQuiet + "SUB foo 1\r\nUNSUB 1 abc\r\nPUB foo 1\r\na\r\n")}, "", kOpen);
  one("unsub_unknown_sid_verbose", {then(0, "CONNECT {}\r\nUNSUB 99\r\n")}, "+OK\r\n+OK\r\n", kOpen);
  one("unsub_unknown_sid_quiet", {then(0, kQuiet + "UNSUB 99\r\n")}, "", kOpen);
  one("unsub_then_pub", {then(0, kQuiet + "SUB foo 1\r\nUNSUB 1\r\nPUB foo 1\r\na\r\n")}, "", kOpen);
  one("unsub_with_max",
      {then(0, kQuiet + "SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\n")},
      "MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n", kOpen);
  one("unsub_max_already_reached",
      {then(0, kQuiet + "SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 1\r\nPUB foo 1\r\nc\r\n")},
      "MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n", kOpen);

  // ---- PUB
  one("pub_no_size", {then(0, kQuiet + "PUB foo\r\n")}, "", kClosed);
  one("pub_no_args", {then(0, kQuiet + "PUB\r\n")}, kUnknownOp, kClosed);
  one("pub_too_many_args", {then(0, kQuiet + "PUB foo bar baz 2\r\nhi\r\n")}, "", kClosed);
  one("pub_size_letters", {then(0, kQuiet + "PUB foo abc\r\n")}, "", kClosed);
  one("pub_size_negative", {then(0, kQuiet + "PUB foo -1\r\n")}, "", kClosed);
  one("pub_size_ten_digits", {then(0, kQuiet + "PUB foo 0000000002\r\nhi\r\n")}, "", kClosed);
  // The size is echoed as the publisher wrote it, leading zeros included.
  one("pub_size_nine_digits", {then(0, kQuiet + "SUB foo 1\r\nPUB foo 000000002\r\nhi\r\n")},
      "MSG foo 1 000000002\r\nhi\r\n", kOpen);
  one("pub_with_reply", {then(0, kQuiet + "SUB foo 1\r\nPUB foo bar 2\r\nhi\r\n")},
      "MSG foo 1 bar 2\r\nhi\r\n", kOpen);
  one("pub_empty_payload", {then(0, kQuiet + "SUB foo 1\r\nPUB foo 0\r\n\r\n")}, "MSG foo 1 0\r\n\r\n",
      kOpen);
  one("payload_longer_than_declared", {then(0, kQuiet + "SUB foo 1\r\nPUB foo 3\r\nhello\r\n")}, kUnknownOp,
      kClosed);
  // The harness's PING follows: the 5 bytes become "hi\r\nP", then "IN" is not CRLF.
  one("payload_shorter_than_declared", {then(0, kQuiet + "SUB foo 1\r\nPUB foo 5\r\nhi\r\n")}, kUnknownOp,
      kClosed);
  one("payload_not_followed_by_crlf", {then(0, kQuiet + "SUB foo 1\r\nPUB foo 2\r\nhiXY")}, kUnknownOp,
      kClosed);
  one("pub_over_max_payload", {then(0, kQuiet + "PUB foo 1048577\r\n")},
      "-ERR 'Maximum Payload Violation'\r\n", kClosed);
  one("pub_exactly_max_payload", {then(0, kQuiet + "SUB foo 1\r\nPUB foo 1048576\r\n" + big(1048576) + "\r\n")},
      "MSG foo 1 1048576\r\n" + big(1048576) + "\r\n", kOpen);
  one("pub_invalid_subject_pedantic",
      {then(0, "CONNECT {\"verbose\":false,\"pedantic\":true}\r\nSUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n")},
      "-ERR 'Invalid Publish Subject'\r\nMSG foo.* 1 2\r\nhi\r\n", kOpen);
  one("pub_invalid_subject_not_pedantic", {then(0, kQuiet + "SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n")},
      "MSG foo.* 1 2\r\nhi\r\n", kOpen);
  one("control_line_too_long", {then(0, kQuiet + "SUB " + big(5000) + " 1\r\n")},
      "-ERR 'maximum control line exceeded'\r\n", kClosed);
  one("control_line_too_long_no_newline", {then(0, kQuiet + "PUB " + big(5000))},
      "-ERR 'maximum control line exceeded'\r\n", kClosed);
  one("control_line_just_under_limit", {then(0, kQuiet + "SUB " + big(4000) + " 1\r\n")}, "", kOpen);
  one("control_line_split_across_sends",
      {then(0, kQuiet + "SUB foo 1\r\n"), split(0, {"PU", "B fo", "o 2\r", "\nh", "i\r", "\n"})},
      "MSG foo 1 2\r\nhi\r\n", kOpen);
  one("wildcards_one_connection_order",
      {then(0, kQuiet + "SUB foo.* 1\r\nSUB foo.> 2\r\nSUB > 3\r\nSUB foo.bar 4\r\nPUB foo.bar 1\r\nx\r\n")},
      // nats-server's match order: '>' of a level, then deeper levels, then the
      // literal leaf before the '*' leaf.
      "MSG foo.bar 3 1\r\nx\r\nMSG foo.bar 2 1\r\nx\r\nMSG foo.bar 4 1\r\nx\r\nMSG foo.bar 1 1\r\nx\r\n",
      kOpen);
  one("queue_member_and_plain_one_connection",
      {then(0, kQuiet + "SUB foo q 1\r\nSUB foo 2\r\nPUB foo 1\r\na\r\n")},
      "MSG foo 2 1\r\na\r\nMSG foo 1 1\r\na\r\n", kOpen);

  // ---- HPUB / headers
  one("hpub_without_headers_negotiated", {then(0, kQuiet + "HPUB foo 20 22\r\n" + kHeader + "hi\r\n")}, "",
      kClosed);
  one("hpub_delivered_as_hmsg", {then(0, kHdrs + "SUB foo 1\r\nHPUB foo 20 22\r\n" + kHeader + "hi\r\n")},
      "HMSG foo 1 20 22\r\n" + kHeader + "hi\r\n", kOpen);
  one("hpub_with_reply", {then(0, kHdrs + "SUB foo 1\r\nHPUB foo r 20 22\r\n" + kHeader + "hi\r\n")},
      "HMSG foo 1 r 20 22\r\n" + kHeader + "hi\r\n", kOpen);
  one("hpub_hdr_larger_than_total", {then(0, kHdrs + "HPUB foo 20 10\r\n")}, "", kClosed);
  one("hpub_hdr_zero_is_msg", {then(0, kHdrs + "SUB foo 1\r\nHPUB foo 0 2\r\nhi\r\n")},
      "MSG foo 1 2\r\nhi\r\n", kOpen);
  one("hpub_too_few_args", {then(0, kHdrs + "HPUB foo 12\r\n")}, "", kClosed);
  one("hpub_over_max_payload", {then(0, kHdrs + "HPUB foo 20 1048577\r\n")},
      "-ERR 'Maximum Payload Violation'\r\n", kClosed);
  c.push_back(Case{"headers_stripped_for_non_header_subscriber",
                   2,
                   {on(0, kQuiet + "SUB foo 1\r\n"), on(1, kHdrs + "HPUB foo 20 22\r\n" + kHeader + "hi\r\n")},
                   {Out{"MSG foo 1 2\r\nhi\r\n", kOpen}, Out{"", kOpen}}});
  one("no_responders_503",
      {then(0, kHdrs + "SUB _INBOX.x 1\r\nPUB nosvc _INBOX.x 3\r\nreq\r\n")},
      "HMSG _INBOX.x 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", kOpen);
  one("no_responders_wildcard_inbox",
      {then(0, kHdrs + "SUB _INBOX.* 7\r\nPUB nosvc _INBOX.abc 3\r\nreq\r\n")},
      "HMSG _INBOX.abc 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", kOpen);
  one("no_responders_no_own_sub", {then(0, kHdrs + "PUB nosvc _INBOX.x 3\r\nreq\r\n")}, "", kOpen);
  one("no_responders_not_requested",
      {then(0, "CONNECT {\"verbose\":false,\"headers\":true}\r\nSUB _INBOX.x 1\r\nPUB nosvc _INBOX.x 3\r\nreq\r\n")},
      "", kOpen);
  c.push_back(Case{"no_responders_not_sent_when_someone_listens",
                   2,
                   {on(0, kQuiet + "SUB svc 1\r\n"), on(1, kHdrs + "SUB _INBOX.x 1\r\nPUB svc _INBOX.x 3\r\nreq\r\n")},
                   {Out{"MSG svc 1 _INBOX.x 3\r\nreq\r\n", kOpen}, Out{"", kOpen}}});

  // ---- echo, fan-out, queues across connections
  one("echo_false_own_messages_dropped",
      {then(0, "CONNECT {\"verbose\":false,\"echo\":false}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n")}, "", kOpen);
  c.push_back(Case{"echo_false_others_still_receive",
                   2,
                   {on(0, kQuiet + "SUB foo 1\r\n"),
                    on(1, "CONNECT {\"verbose\":false,\"echo\":false}\r\nSUB foo 9\r\nPUB foo 2\r\nhi\r\n")},
                   {Out{"MSG foo 1 2\r\nhi\r\n", kOpen}, Out{"", kOpen}}});
  c.push_back(Case{"wildcards_across_connections",
                   4,
                   {on(0, kQuiet + "SUB foo.* 1\r\n"), on(1, kQuiet + "SUB foo.> 2\r\n"), on(2, kQuiet + "SUB > 3\r\n"),
                    on(3, kQuiet + "PUB foo.bar 1\r\na\r\nPUB foo.bar.baz 1\r\nb\r\nPUB x 1\r\nc\r\n")},
                   {Out{"MSG foo.bar 1 1\r\na\r\n", kOpen},
                    Out{"MSG foo.bar 2 1\r\na\r\nMSG foo.bar.baz 2 1\r\nb\r\n", kOpen},
                    Out{"MSG foo.bar 3 1\r\na\r\nMSG foo.bar.baz 3 1\r\nb\r\nMSG x 3 1\r\nc\r\n", kOpen},
                    Out{"", kOpen}}});
  c.push_back(Case{"queue_single_member_with_plain_subscriber",
                   3,
                   {on(0, kQuiet + "SUB foo q 1\r\n"), on(1, kQuiet + "SUB foo 2\r\n"),
                    on(2, kQuiet + "PUB foo 1\r\na\r\nPUB foo 1\r\nb\r\n")},
                   {Out{"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n", kOpen},
                    Out{"MSG foo 2 1\r\na\r\nMSG foo 2 1\r\nb\r\n", kOpen}, Out{"", kOpen}}});

  // ---- ops a client must not send, and garbage
  one("client_sends_msg", {then(0, kQuiet + "MSG foo 1 2\r\nhi\r\n")}, kUnknownOp, kClosed);
  one("client_sends_hmsg", {then(0, kQuiet + "HMSG foo 1 0 2\r\nhi\r\n")}, kUnknownOp, kClosed);
  one("client_sends_err", {then(0, kQuiet + "-ERR 'boom'\r\n")}, "", kClosed);
  one("client_sends_info", {then(0, kQuiet + "INFO {}\r\nPING\r\n")}, "PONG\r\n", kOpen);
  one("client_sends_ok", {then(0, kQuiet + "+OK\r\nPING\r\n")}, "PONG\r\n", kOpen);
  one("client_sends_pong", {then(0, kQuiet + "PONG\r\nPING\r\n")}, "PONG\r\n", kOpen);
  one("client_sends_rs_plus", {then(0, kQuiet + "RS+ $G foo\r\n")}, kUnknownOp, kClosed);
  one("garbage_binary", {then(0, std::string("\x00\x01\xfe\xff\r\n", 6))}, kUnknownOp, kClosed);
  one("garbage_after_connect", {then(0, kQuiet + std::string("\x80\x81zz\r\n"))}, kUnknownOp, kClosed);

  // ---- every op split byte by byte
  one("bytewise_connect", {bytes(0, kQuiet)}, "", kOpen);
  one("bytewise_sub_pub", {then(0, kQuiet), bytes(0, "SUB foo 1\r\nPUB foo bar 5\r\nhello\r\n")},
      "MSG foo 1 bar 5\r\nhello\r\n", kOpen);
  one("bytewise_hpub", {then(0, kHdrs + "SUB foo 1\r\n"), bytes(0, "HPUB foo 20 22\r\n" + kHeader + "hi\r\n")},
      "HMSG foo 1 20 22\r\n" + kHeader + "hi\r\n", kOpen);
  one("bytewise_unsub", {then(0, kQuiet + "SUB foo 1\r\n"), bytes(0, "UNSUB 1\r\n"), then(0, "PUB foo 1\r\na\r\n")},
      "", kOpen);
  one("bytewise_ping", {then(0, kQuiet), bytes(0, "PING\r\n")}, "PONG\r\n", kOpen);
  one("bytewise_verbose", {bytes(0, "CONNECT {}\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\n")},
      "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 1\r\nx\r\n", kOpen);
  one("bytewise_bad_op", {then(0, kQuiet), bytes(0, "PUX foo\r\n")}, kUnknownOp, kClosed);
  return c;
}

// Where two transcripts first differ, with some escaped context either side
// (transcripts can be megabytes long).
std::string first_difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  size_t from = i > 80 ? i - 80 : 0;
  return "first difference at byte " + std::to_string(i) + " (lengths " + std::to_string(got.size()) + " vs " +
         std::to_string(want.size()) + ")\n    got:  ..." + escape(got.substr(from, 200)) +
         "\n    want: ..." + escape(want.substr(from, 200));
}

// gtest prints the case name instead of raw bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Differential : public ::testing::TestWithParam<Case> {};

TEST_P(Differential, SameBytesAsNatsServer) {
  const Case& tc = GetParam();

  // 1. Stock nats-server, checked against the table.
  std::vector<ConnResult> stock;
  {
    ServerProcess srv;
    std::string err;
    ASSERT_TRUE(srv.start(stock_bin(), 0, {}, &err)) << stock_bin() << ": " << err;
    stock = run_conversation(srv.port(), tc.nconns, tc.steps);
  }
  ASSERT_EQ(stock.size(), tc.expect.size());
  for (size_t i = 0; i < stock.size(); ++i) {
    EXPECT_FALSE(stock[i].timed_out) << "conn " << i << " timed out on nats-server";
    EXPECT_TRUE(stock[i].transcript == tc.expect[i].bytes)
        << "nats-server disagrees with the table, conn " << i << ": "
        << first_difference(stock[i].transcript, tc.expect[i].bytes);
    EXPECT_EQ(stock[i].closed, tc.expect[i].closed) << "nats-server close state, conn " << i;
  }

  // 2. ringnats, checked against what nats-server really said.
  std::vector<std::string> target;
  for (auto& r : stock) target.push_back(r.transcript);
  std::vector<ConnResult> ring;
  {
    ServerProcess srv;
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << ringnats_bin() << ": " << err;
    ring = run_conversation(srv.port(), tc.nconns, tc.steps, &target);
  }
  ASSERT_EQ(ring.size(), stock.size());
  for (size_t i = 0; i < ring.size(); ++i) {
    EXPECT_EQ(ring[i].info, stock[i].info) << "INFO differs, conn " << i;
    EXPECT_TRUE(ring[i].transcript == stock[i].transcript)
        << "ringnats answered differently from nats-server, conn " << i << ": "
        << first_difference(ring[i].transcript, stock[i].transcript);
    EXPECT_EQ(ring[i].closed, stock[i].closed) << "close state differs, conn " << i;
    EXPECT_FALSE(ring[i].timed_out) << "conn " << i << " timed out on ringnats";
  }
}

INSTANTIATE_TEST_SUITE_P(Protocol, Differential, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// Queue groups choose members at random, so the exact bytes differ run to run;
// compare the invariant instead: every message reaches exactly one member.
std::vector<std::string> queue_payloads_seen(const std::string& bin) {
  ServerProcess srv;
  std::string err;
  EXPECT_TRUE(srv.start(bin, 2, {}, &err)) << bin << ": " << err;
  if (!srv.running()) return {};
  RawConn m[2], pub;
  std::string line, junk;
  for (auto& c : m) {
    EXPECT_TRUE(c.connect(srv.port()) && c.read_line(line));
    c.send(kQuiet + "SUB foo grp 1\r\n");
    EXPECT_TRUE(c.ping_pong(junk));
  }
  EXPECT_TRUE(pub.connect(srv.port()) && pub.read_line(line));
  std::string pubs = kQuiet;
  constexpr int kN = 50;
  for (int i = 0; i < kN; ++i) {
    // Appends, not operator+ chains: g++ 12 gives a false -Wrestrict on those.
    std::string p = std::to_string(i);
    pubs.append("PUB foo ").append(std::to_string(p.size() + 1)).append("\r\nm").append(p).append("\r\n");
  }
  pub.send(pubs);
  EXPECT_TRUE(pub.ping_pong(junk));
  // Read both members until all messages are in (bounded), then check that
  // nothing more is pending behind a PING on each.
  std::vector<std::string> seen;
  std::vector<std::string> frames[2];
  size_t total = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (total < kN && std::chrono::steady_clock::now() < deadline) {
    for (int k = 0; k < 2; ++k) {
      m[k].read_some(20);
      size_t used = split_frames(m[k].buffer(), frames[k]);
      m[k].buffer().erase(0, used);
    }
    total = frames[0].size() + frames[1].size();
  }
  for (int k = 0; k < 2; ++k) {
    std::string rest;
    EXPECT_TRUE(m[k].ping_pong(rest));
    EXPECT_EQ(rest, "PONG\r\n") << "extra deliveries on member " << k;
    for (auto& f : frames[k]) {
      EXPECT_EQ(f.substr(0, 10), "MSG foo 1 ") << escape(f);
      size_t nl = f.find('\n');
      if (nl == std::string::npos || f.size() < nl + 3) continue;
      seen.emplace_back(f.begin() + static_cast<long>(nl) + 1, f.end() - 2);
    }
  }
  std::sort(seen.begin(), seen.end());
  return seen;
}

TEST(DifferentialQueue, EachMessageToExactlyOneMember) {
  auto stock = queue_payloads_seen(stock_bin());
  ASSERT_EQ(stock.size(), 50u);
  EXPECT_EQ(std::set<std::string>(stock.begin(), stock.end()).size(), 50u);
  auto ring = queue_payloads_seen(ringnats_bin());
  EXPECT_EQ(ring, stock);
}

}  // namespace
}  // namespace itest
