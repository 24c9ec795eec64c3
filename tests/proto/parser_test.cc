// Parser: every operation fed whole, byte by byte, and split at every
// offset must produce the same event log; errors come back as values.
#include "proto/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace ringnats::proto;

namespace {

const char* op_name(Op op) {
  switch (op) {
    case Op::Connect: return "CONNECT";
    case Op::Pub: return "PUB";
    case Op::Hpub: return "HPUB";
    case Op::Sub: return "SUB";
    case Op::Unsub: return "UNSUB";
    case Op::Ping: return "PING";
    case Op::Pong: return "PONG";
    case Op::Info: return "INFO";
    case Op::Ok: return "+OK";
    case Op::Err: return "-ERR";
    case Op::Rmsg: return "RMSG";
    case Op::Hmsg: return "HMSG";
    case Op::RsPlus: return "RS+";
    case Op::RsMinus: return "RS-";
    case Op::LsPlus: return "LS+";
    case Op::LsMinus: return "LS-";
    case Op::Lmsg: return "LMSG";
    default: return "?";
  }
}

// Records what the parser hands out as text lines.
struct Recorder {
  std::vector<std::string> events;
  std::string storage;
  Flow on_op(Op op, std::string_view args) {
    events.push_back(std::string(op_name(op)) + "[" + std::string(args) + "]");
    return Flow::Continue;
  }
  Flow on_msg_args(const MsgArgs&) { return Flow::Continue; }
  char* payload_storage(const MsgArgs& m) {
    storage.assign(static_cast<size_t>(m.size), '\0');
    return storage.data();
  }
  Flow on_msg(const MsgArgs& m, std::string_view payload, bool) {
    std::string e = std::string(op_name(m.op)) + " subj=" + std::string(m.subject);
    if (!m.reply.empty()) e += " reply=" + std::string(m.reply);
    if (!m.account.empty()) e += " acc=" + std::string(m.account);
    if (m.hdr >= 0) e += " hdr=" + std::to_string(m.hdr);
    e += " size=" + std::to_string(m.size) + " payload=" + std::string(payload);
    events.push_back(e);
    return Flow::Continue;
  }
};

struct Outcome {
  std::vector<std::string> events;
  FeedResult::Status status;
  ErrCode err;
};

Outcome run_chunks(ConnKind kind, const std::string& bytes, const std::vector<size_t>& cuts) {
  Parser p(kind);
  Recorder r;
  size_t pos = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (size_t end : ends) {
    // Each chunk lives in its own buffer that dies after feed(), like a
    // recycled receive buffer.
    std::string chunk = bytes.substr(pos, end - pos);
    FeedResult fr = p.feed(chunk.data(), chunk.size(), r);
    std::fill(chunk.begin(), chunk.end(), '#');
    if (fr.status == FeedResult::Error) return {r.events, fr.status, fr.err};
    pos = end;
  }
  return {r.events, FeedResult::Done, ErrCode::None};
}

Outcome whole(ConnKind kind, const std::string& bytes) { return run_chunks(kind, bytes, {}); }

void expect_all_splits_equal(ConnKind kind, const std::string& bytes) {
  Outcome ref = whole(kind, bytes);
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    Outcome o = run_chunks(kind, bytes, {cut});
    EXPECT_EQ(o.events, ref.events) << "split at " << cut;
    EXPECT_EQ(o.status, ref.status) << "split at " << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < bytes.size(); ++i) every.push_back(i);
  Outcome b = run_chunks(kind, bytes, every);
  EXPECT_EQ(b.events, ref.events) << "byte by byte";
}

}  // namespace

TEST(Parser, ClientConversation) {
  std::string in =
      "CONNECT {\"verbose\":false}\r\n"
      "SUB foo  1\r\n"
      "sub bar q 2\r\n"
      "PUB foo 5\r\nhello\r\n"
      "pub foo reply.x 0\r\n\r\n"
      "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
      "UNSUB 1\r\nunsub 2 10\r\n"
      "PING\r\nPONG\r\n+OK\r\n";
  Outcome o = whole(ConnKind::Client, in);
  std::vector<std::string> want = {
      "CONNECT[{\"verbose\":false}]",
      "SUB[foo  1]",
      "SUB[bar q 2]",
      "PUB subj=foo size=5 payload=hello",
      "PUB subj=foo reply=reply.x size=0 payload=",
      "HPUB subj=foo hdr=12 size=14 payload=NATS/1.0\r\n\r\nhi",
      "UNSUB[1]",
      "UNSUB[2 10]",
      "PING[]",
      "PONG[]",
      "+OK[]",
  };
  EXPECT_EQ(o.events, want);
  expect_all_splits_equal(ConnKind::Client, in);
}

TEST(Parser, PingWithoutCarriageReturnAndTrailingJunk) {
  Outcome o = whole(ConnKind::Client, "PING\nping xyz\r\n");
  EXPECT_EQ(o.events, (std::vector<std::string>{"PING[]", "PING[]"}));
}

TEST(Parser, TabsBetweenArguments) {
  Outcome o = whole(ConnKind::Client, "PUB\tfoo\t\t3\r\nabc\r\n");
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0], "PUB subj=foo size=3 payload=abc");
}

// A whole PUB line is framed in one step (the fast path); split, it goes
// through the byte states. Every shape of PUB line must come out the same
// both ways: tabs, leading zeros, a reply, runs of spaces, spaces before the
// CR, a lone LF, CR inside the arguments, too many and too few tokens.
TEST(Parser, PubFastPathSameAsByteStates) {
  const char* lines[] = {
      "PUB foo 3\r\nabc\r\n",        "pub foo 3\r\nabc\r\n",          "PUB\tfoo\t\t3\r\nabc\r\n",
      "PUB foo 003\r\nabc\r\n",      "PUB foo bar 3\r\nabc\r\n",      "PUB  foo   bar  3\r\nabc\r\n",
      "PUB foo 3 \r\nabc\r\n",       "PUB foo 3\nabc\r\n",             "PUB foo\rx 3\r\nabc\r\n",
      "PUB foo 0\r\n\r\n",            "PUB foo bar baz 3\r\nabc\r\n",  "PUB 3\r\nabc\r\n",
      "PUB foo 1234567890\r\n",      "PUB foo 12a\r\n",                "PUB \r\n",
      "PUB \n",                       "PUB foo 3\r\nabcd\r\n",          "PUB foo 3\r\nabc\rX",
      "PUB foo -3\r\nabc\r\n",       "PUB a.b.c _INBOX.x 5\r\nhello\r\nPING\r\n",
      // What the one-pass framing must leave to the general path, or frame as it would.
      "PUB fo\x01o 3\r\nabc\r\n",    "PUB f\xc3\xa9 3\r\nabc\r\n",     "PUB foo bar\t3\r\nabc\r\n",
      "PUB foo 3\r\r\nabc\r\n",      "PUB foo 3\rX\r\nabc\r\n",       "PUB foo bar 3 \r\nabc\r\n",
      "PUB foo 123456789\r\n",      "PUB foo 3\r\nabc\r\nPUB bar 0\r\n\r\nPUB baz r 1\r\nx\r\n",
      "PUB foo 3\r\nab\r\n\r\n",     "PUB foo bar\r\n",               "PUB foo  \r\n",
      "PUB foo 3\r\nabc\n\r",         "PUB foo\x7f 1\r\nx\r\n",
  };
  for (const char* line : lines) {
    SCOPED_TRACE(line);
    expect_all_splits_equal(ConnKind::Client, line);
    expect_all_splits_equal(ConnKind::Route, line);
  }
}

// The control line limit holds on the one-pass framing as on the byte states.
TEST(Parser, PubLineAtAndOverTheLimit) {
  for (size_t subject : {size_t{4094}, size_t{4095}}) {  // "<subject> 1" is 4096, then 4097 bytes
    std::string line = "PUB " + std::string(subject, 's') + " 1\r\nx\r\n";
    Outcome o = whole(ConnKind::Client, line);
    if (subject == 4094) {
      EXPECT_EQ(o.status, FeedResult::Done);
      ASSERT_EQ(o.events.size(), 1u);
    } else {
      EXPECT_EQ(o.status, FeedResult::Error);
      EXPECT_EQ(o.err, ErrCode::MaxControlLine);
    }
    expect_all_splits_equal(ConnKind::Client, line);
  }
}

TEST(Parser, LargePayloadSplitAcrossManyReads) {
  std::string payload(200000, 'x');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::string in = "PUB big 200000\r\n" + payload + "\r\nPING\r\n";
  std::vector<size_t> cuts;
  for (size_t c = 7; c < in.size(); c += 4093) cuts.push_back(c);
  Outcome o = run_chunks(ConnKind::Client, in, cuts);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_EQ(o.events[0], "PUB subj=big size=200000 payload=" + payload);
}

struct BadCase {
  const char* name;
  std::string bytes;
  ErrCode err;
};

class ParserErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParserErrors, SameErrorWholeAndSplit) {
  const BadCase& c = GetParam();
  Outcome o = whole(ConnKind::Client, c.bytes);
  EXPECT_EQ(o.status, FeedResult::Error);
  EXPECT_EQ(o.err, c.err);
  for (size_t cut = 1; cut < c.bytes.size(); ++cut) {
    Outcome s = run_chunks(ConnKind::Client, c.bytes, {cut});
    EXPECT_EQ(s.status, FeedResult::Error) << "split at " << cut;
    EXPECT_EQ(s.err, c.err) << "split at " << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bytes, ParserErrors,
    ::testing::Values(
        BadCase{"unknown_op", "FOO bar\r\n", ErrCode::UnknownOp},
        BadCase{"msg_from_client", "MSG foo 1 2\r\nhi\r\n", ErrCode::UnknownOp},
        BadCase{"rmsg_from_client", "RMSG $G foo 2\r\nhi\r\n", ErrCode::UnknownOp},
        BadCase{"pub_no_space", "PUB\r\n", ErrCode::UnknownOp},
        BadCase{"unsub_no_space", "UNSUB\r\n", ErrCode::UnknownOp},
        BadCase{"pub_one_arg", "PUB foo\r\n", ErrCode::ProtocolViolation},
        BadCase{"pub_four_args", "PUB a b c 1\r\nx\r\n", ErrCode::ProtocolViolation},
        BadCase{"pub_bad_size", "PUB foo abc\r\n", ErrCode::ProtocolViolation},
        BadCase{"pub_negative", "PUB foo -1\r\n", ErrCode::ProtocolViolation},
        BadCase{"pub_ten_digits", "PUB foo 1234567890\r\n", ErrCode::ProtocolViolation},
        BadCase{"payload_too_long", "PUB foo 3\r\nhello\r\n", ErrCode::UnknownOp},
        BadCase{"payload_no_crlf", "PUB foo 5\r\nhelloXY", ErrCode::UnknownOp},
        BadCase{"hpub_hdr_gt_total", "HPUB foo 10 5\r\n", ErrCode::ProtocolViolation},
        BadCase{"control_line", "SUB " + std::string(5000, 'a') + " 1\r\n", ErrCode::MaxControlLine},
        BadCase{"control_line_unterminated", "PUB " + std::string(5000, 'a'), ErrCode::MaxControlLine},
        BadCase{"garbage", std::string("\x01\x02\xff", 3), ErrCode::UnknownOp}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

TEST(Parser, HoldPausesBeforePubButNotSub) {
  Parser p(ConnKind::Client);
  Recorder r;
  p.set_hold(true);
  std::string in = "SUB a 1\r\nsub b 2\r\nPUB a 1\r\nx\r\n";
  FeedResult fr = p.feed(in.data(), in.size(), r);
  EXPECT_EQ(fr.status, FeedResult::Paused);
  EXPECT_EQ(r.events.size(), 2u);
  EXPECT_EQ(in.substr(fr.consumed), "PUB a 1\r\nx\r\n");
  p.set_hold(false);
  std::string rest = in.substr(fr.consumed);
  fr = p.feed(rest.data(), rest.size(), r);
  EXPECT_EQ(fr.status, FeedResult::Done);
  EXPECT_EQ(r.events.back(), "PUB subj=a size=1 payload=x");
}

TEST(Parser, RequireConnectFirst) {
  Parser p(ConnKind::Client);
  Recorder r;
  p.set_require_connect(true);
  std::string in = "PING\r\n";
  FeedResult fr = p.feed(in.data(), in.size(), r);
  EXPECT_EQ(fr.status, FeedResult::Error);
  EXPECT_EQ(fr.err, ErrCode::AuthViolation);
}

TEST(Parser, RouteOperations) {
  std::string in =
      "RS+ $G foo\r\nRS+ $G qq grp 1\r\nRS- $G foo\r\n"
      "RMSG $G foo 5\r\nhello\r\n"
      "RMSG $G qq + rep.q grp 2\r\nr0\r\n"
      "HMSG $G foo hrep 20 22\r\nNATS/1.0\r\nX-K: v\r\n\r\nhi\r\n"
      "PING\r\n";
  Outcome o = whole(ConnKind::Route, in);
  std::vector<std::string> want = {
      "RS+[$G foo]",
      "RS+[$G qq grp 1]",
      "RS-[$G foo]",
      "RMSG subj=foo acc=$G size=5 payload=hello",
      "RMSG subj=qq acc=$G size=2 payload=r0",
      "HMSG subj=foo acc=$G hdr=20 size=22 payload=NATS/1.0\r\nX-K: v\r\n\r\nhi",
      "PING[]",
  };
  EXPECT_EQ(o.events, want);
  expect_all_splits_equal(ConnKind::Route, in);
}

TEST(Parser, RouteControlLineHasNoClientLimit) {
  std::string subj(6000, 'a');
  Outcome o = whole(ConnKind::Route, "RS+ $G " + subj + "\r\n");
  EXPECT_EQ(o.status, FeedResult::Done);
  ASSERT_EQ(o.events.size(), 1u);
}
