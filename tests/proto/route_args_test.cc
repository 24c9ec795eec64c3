// Route argument splitting and route line writers, table-driven, with the
// lines captured from nats-server 2.9.10 (wire notes section 4) as goldens.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/route_args.h"

using namespace ringnats::proto;

namespace {

std::vector<std::string> queues_of(const RoutedMsgArgs& m) {
  std::vector<std::string> out;
  ArgTokens t(m.queues);
  std::string_view q;
  while (t.next(q)) out.emplace_back(q);
  return out;
}

struct SubCase {
  const char* args;
  RouteArgStatus st;
  const char* acc;
  const char* subj;
  const char* queue;
  int32_t weight;
  const char* key;
};

}  // namespace

TEST(RemoteSub, Table) {
  const SubCase cases[] = {
      {"$G foo", RouteArgStatus::Ok, "$G", "foo", "", 0, "$G foo"},
      {"$G bar.*", RouteArgStatus::Ok, "$G", "bar.*", "", 0, "$G bar.*"},
      {"$G qq grp 1", RouteArgStatus::Ok, "$G", "qq", "grp", 1, "$G qq grp"},
      {"$G qq grp 2", RouteArgStatus::Ok, "$G", "qq", "grp", 2, "$G qq grp"},
      {"$G qq grp 0", RouteArgStatus::Ok, "$G", "qq", "grp", 0, "$G qq grp"},
      {"$G qq grp x", RouteArgStatus::Ok, "$G", "qq", "grp", -1, "$G qq grp"},  // nats does not reject it
      {"$G qq grp 1234567890", RouteArgStatus::Ok, "$G", "qq", "grp", -1, "$G qq grp"},
      {"$SYS $SYS.REQ.SERVER.PING", RouteArgStatus::Ok, "$SYS", "$SYS.REQ.SERVER.PING", "", 0,
       "$SYS $SYS.REQ.SERVER.PING"},
      {"$G\tfoo", RouteArgStatus::Ok, "$G", "foo", "", 0, "$G\tfoo"},
      {"$G  qq \t grp  3", RouteArgStatus::Ok, "$G", "qq", "grp", 3, "$G  qq \t grp "},  // raw text, minus weight
      {"$G foo ", RouteArgStatus::Ok, "$G", "foo", "", 0, "$G foo "},
      {"$G qq grp", RouteArgStatus::WrongArgCount, "", "", "", 0, ""},  // queue without weight
      {"$G", RouteArgStatus::WrongArgCount, "", "", "", 0, ""},
      {"", RouteArgStatus::WrongArgCount, "", "", "", 0, ""},
      {"$G a b c d", RouteArgStatus::WrongArgCount, "", "", "", 0, ""},
  };
  for (const auto& c : cases) {
    RemoteSubArgs a;
    ASSERT_EQ(parse_remote_sub(c.args, a), c.st) << c.args;
    if (c.st != RouteArgStatus::Ok) {
      EXPECT_TRUE(route_arg_closes(c.st));
      continue;
    }
    EXPECT_EQ(a.account, c.acc) << c.args;
    EXPECT_EQ(a.subject, c.subj) << c.args;
    EXPECT_EQ(a.queue, c.queue) << c.args;
    EXPECT_EQ(a.weight, c.weight) << c.args;
    EXPECT_EQ(a.key, c.key) << c.args;
  }
}

TEST(RemoteSub, LeafOrigin) {
  RemoteSubArgs a;
  ASSERT_EQ(parse_remote_sub("hub $G foo", a, true), RouteArgStatus::Ok);
  EXPECT_EQ(a.origin, "hub");
  EXPECT_EQ(a.account, "$G");
  EXPECT_EQ(a.subject, "foo");
  EXPECT_EQ(a.key, "$G foo");
  ASSERT_EQ(parse_remote_sub("hub $G qq grp 4", a, true), RouteArgStatus::Ok);
  EXPECT_EQ(a.queue, "grp");
  EXPECT_EQ(a.weight, 4);
  EXPECT_EQ(a.key, "$G qq grp");
  EXPECT_EQ(parse_remote_sub("hub $G qq grp", a, true), RouteArgStatus::WrongArgCount);
  EXPECT_EQ(parse_remote_sub("$G foo", a, true), RouteArgStatus::WrongArgCount);
}

TEST(RemoteUnsub, Table) {
  RemoteSubArgs a;
  ASSERT_EQ(parse_remote_unsub("$G foo", a), RouteArgStatus::Ok);
  EXPECT_EQ(a.subject, "foo");
  EXPECT_EQ(a.key, "$G foo");
  ASSERT_EQ(parse_remote_unsub("$G qq grp", a), RouteArgStatus::Ok);
  EXPECT_EQ(a.queue, "grp");
  EXPECT_EQ(a.key, "$G qq grp");
  EXPECT_EQ(parse_remote_unsub("$G qq grp 2", a), RouteArgStatus::WrongArgCount);  // weight on RS-
  EXPECT_EQ(parse_remote_unsub("$G", a), RouteArgStatus::WrongArgCount);
  EXPECT_EQ(parse_remote_unsub("", a), RouteArgStatus::WrongArgCount);
  // The RS- key matches the RS+ key for the same interest.
  RemoteSubArgs plus, minus;
  ASSERT_EQ(parse_remote_sub("$G qq grp 7", plus), RouteArgStatus::Ok);
  ASSERT_EQ(parse_remote_unsub("$G qq grp", minus), RouteArgStatus::Ok);
  EXPECT_EQ(plus.key, minus.key);
}

namespace {

struct MsgCase {
  RoutedOp op;
  const char* args;
  RouteArgStatus st;
  const char* acc;
  const char* subj;
  const char* reply;
  std::vector<std::string> queues;
  int64_t hdr;
  int64_t size;
};

}  // namespace

TEST(RoutedMsg, Table) {
  using R = RoutedOp;
  using S = RouteArgStatus;
  const MsgCase cases[] = {
      // Goldens from the traces.
      {R::Rmsg, "$G foo 5", S::Ok, "$G", "foo", "", {}, -1, 5},
      {R::Rmsg, "$G foo my.reply 5", S::Ok, "$G", "foo", "my.reply", {}, -1, 5},
      {R::Rmsg, "$G qq | grp 2", S::Ok, "$G", "qq", "", {"grp"}, -1, 2},
      {R::Rmsg, "$G qq + rep.q grp 2", S::Ok, "$G", "qq", "rep.q", {"grp"}, -1, 2},
      {R::Rmsg, "$G qq | other 3", S::Ok, "$G", "qq", "", {"other"}, -1, 3},
      {R::Rmsg, "$G qq + rr grp 3", S::Ok, "$G", "qq", "rr", {"grp"}, -1, 3},
      {R::Rmsg, "$G max.sub 1", S::Ok, "$G", "max.sub", "", {}, -1, 1},
      {R::Rmsg, "$X foo 3", S::Ok, "$X", "foo", "", {}, -1, 3},
      {R::Hmsg, "$G foo 20 22", S::Ok, "$G", "foo", "", {}, 20, 22},
      {R::Hmsg, "$G foo hrep 20 22", S::Ok, "$G", "foo", "hrep", {}, 20, 22},
      {R::Hmsg, "$G qq | g1 g2 20 22", S::Ok, "$G", "qq", "", {"g1", "g2"}, 20, 22},
      {R::Hmsg, "$G qq + r g1 20 22", S::Ok, "$G", "qq", "r", {"g1"}, 20, 22},
      {R::Hmsg, "$G foo 0 0", S::Ok, "$G", "foo", "", {}, 0, 0},
      // Many queues, runs of separators.
      {R::Rmsg, "$G  qq\t|  a b\tc d e f g h i 10", S::Ok, "$G", "qq", "", {"a", "b", "c", "d", "e", "f", "g", "h", "i"},
       -1, 10},
      {R::Rmsg, "$G qq + r a b c d e f g h i j 10", S::Ok, "$G", "qq", "r",
       {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, -1, 10},
      // "+" with a reply and no queues is legal; "|" alone is taken as a reply.
      {R::Rmsg, "$G foo + r 5", S::Ok, "$G", "foo", "r", {}, -1, 5},
      {R::Rmsg, "$G foo | 5", S::Ok, "$G", "foo", "|", {}, -1, 5},
      {R::Rmsg, "$G foo 000000005", S::Ok, "$G", "foo", "", {}, -1, 5},
      // Errors.
      {R::Rmsg, "$G foo", S::WrongArgCount, "", "", "", {}, -1, 0},
      {R::Rmsg, "", S::WrongArgCount, "", "", "", {}, -1, 0},
      {R::Rmsg, "$G foo x grp 5", S::BadReplyIndicator, "", "", "", {}, -1, 0},
      {R::Rmsg, "$G foo ++ grp 5", S::BadReplyIndicator, "", "", "", {}, -1, 0},
      {R::Rmsg, "$G foo abc", S::BadSize, "", "", "", {}, -1, 0},
      {R::Rmsg, "$G foo r -1", S::BadSize, "", "", "", {}, -1, 0},
      {R::Rmsg, "$G foo 1234567890", S::BadSize, "", "", "", {}, -1, 0},
      {R::Hmsg, "$G foo 22", S::WrongArgCount, "", "", "", {}, -1, 0},
      {R::Hmsg, "$G foo x 22", S::BadHeaderSize, "", "", "", {}, -1, 0},
      {R::Hmsg, "$G foo x y", S::BadHeaderSize, "", "", "", {}, -1, 0},  // header size checked first
      {R::Hmsg, "$G foo 2 y", S::BadSize, "", "", "", {}, -1, 0},
      {R::Hmsg, "$G foo 23 22", S::HeaderTooLarge, "", "", "", {}, -1, 0},
      {R::Hmsg, "$G foo * g 2 3", S::BadReplyIndicator, "", "", "", {}, -1, 0},
      // LMSG: origin first, always header form.
      {R::Lmsg, "hub $G foo 0 5", S::Ok, "$G", "foo", "", {}, 0, 5},
      {R::Lmsg, "hub $G foo r 0 5", S::Ok, "$G", "foo", "r", {}, 0, 5},
      {R::Lmsg, "hub $G foo + r q 0 5", S::Ok, "$G", "foo", "r", {"q"}, 0, 5},
      {R::Lmsg, "hub $G foo 5", S::WrongArgCount, "", "", "", {}, -1, 0},
  };
  for (const auto& c : cases) {
    RoutedMsgArgs m;
    ASSERT_EQ(parse_routed_msg(c.op, c.args, m), c.st) << c.args;
    if (c.st != S::Ok) {
      EXPECT_FALSE(route_arg_error_text(c.st).empty());
      continue;
    }
    EXPECT_EQ(m.account, c.acc) << c.args;
    EXPECT_EQ(m.subject, c.subj) << c.args;
    EXPECT_EQ(m.reply, c.reply) << c.args;
    EXPECT_EQ(queues_of(m), c.queues) << c.args;
    EXPECT_EQ(m.nqueues, c.queues.size()) << c.args;
    EXPECT_EQ(m.hdr, c.hdr) << c.args;
    EXPECT_EQ(m.size, c.size) << c.args;
    if (c.op == R::Lmsg) {
      EXPECT_EQ(m.origin, "hub");
    }
  }
}

TEST(RoutedMsg, ViewsPointIntoInput) {
  std::string line = "$G qq + rep.q grp other 2";
  RoutedMsgArgs m;
  ASSERT_EQ(parse_rmsg(line, m), RouteArgStatus::Ok);
  auto inside = [&](std::string_view v) {
    return v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size();
  };
  EXPECT_TRUE(inside(m.account));
  EXPECT_TRUE(inside(m.subject));
  EXPECT_TRUE(inside(m.reply));
  EXPECT_TRUE(inside(m.queues));
  EXPECT_EQ(m.queues, "grp other");
}

namespace {

// RoutedMsgLine built field by field (GCC 12 warns on partial aggregate init).
RoutedMsgLine line(std::string_view acc, std::string_view subj, std::string_view reply,
                   std::span<const std::string_view> queues, int64_t hdr, int64_t size,
                   std::string_view hdr_text = {}, std::string_view size_text = {}) {
  RoutedMsgLine m;
  m.account = acc;
  m.subject = subj;
  m.reply = reply;
  m.queues = queues;
  m.hdr = hdr;
  m.size = size;
  m.hdr_text = hdr_text;
  m.size_text = size_text;
  return m;
}

}  // namespace

TEST(RouteWriters, InterestLinesFromTraces) {
  std::string out;
  append_rs_plus(out, "$G", "foo");
  append_rs_plus(out, "$G", "bar.*");
  append_rs_plus(out, "$G", "qq", "grp", 1);
  append_rs_plus(out, "$G", "_INBOX.r.*");
  EXPECT_EQ(out, "RS+ $G foo\r\nRS+ $G bar.*\r\nRS+ $G qq grp 1\r\nRS+ $G _INBOX.r.*\r\n");
  out.clear();
  append_rs_plus(out, "$G", "qq", "grp", 2);
  append_rs_minus(out, "$G", "qq", "grp");
  append_rs_minus(out, "$G", "foo");
  EXPECT_EQ(out, "RS+ $G qq grp 2\r\nRS- $G qq grp\r\nRS- $G foo\r\n");
  out.clear();
  append_rs_plus(out, "$G", "qq", "grp", 1234567);
  append_rs_plus(out, "$G", "qq", "grp", 0);  // nats writes no digits for a zero weight
  EXPECT_EQ(out, "RS+ $G qq grp 1234567\r\nRS+ $G qq grp \r\n");
}

TEST(RouteWriters, CharBufferForms) {
  char buf[64];
  size_t n = write_rs_plus(buf, sizeof(buf), "$G", "qq", "grp", 3);
  EXPECT_EQ(std::string_view(buf, n), "RS+ $G qq grp 3\r\n");
  EXPECT_EQ(n, rs_plus_size("$G", "qq", "grp", 3));
  EXPECT_EQ(write_rs_plus(buf, n - 1, "$G", "qq", "grp", 3), 0u);  // too small: nothing written
  n = write_rs_minus(buf, sizeof(buf), "$G", "foo");
  EXPECT_EQ(std::string_view(buf, n), "RS- $G foo\r\n");
  EXPECT_EQ(write_rs_minus(buf, 5, "$G", "foo"), 0u);
  RoutedMsgLine m = line("$G", "foo", "", {}, -1, 5);
  n = write_routed_msg(buf, sizeof(buf), m);
  EXPECT_EQ(std::string_view(buf, n), "RMSG $G foo 5\r\n");
  EXPECT_EQ(write_routed_msg(buf, n - 1, m), 0u);
}

TEST(RouteWriters, MessageLinesFromTraces) {
  const std::string_view grp[] = {"grp"};
  const std::string_view two[] = {"g1", "g2"};
  struct W {
    RoutedMsgLine m;
    const char* want;
  } cases[] = {
      {line("$G", "foo", "", {}, -1, 5), "RMSG $G foo 5\r\n"},
      {line("$G", "foo", "my.reply", {}, -1, 5), "RMSG $G foo my.reply 5\r\n"},
      {line("$G", "qq", "", grp, -1, 2), "RMSG $G qq | grp 2\r\n"},
      {line("$G", "qq", "rep.q", grp, -1, 2), "RMSG $G qq + rep.q grp 2\r\n"},
      {line("$G", "qq", "", two, -1, 2), "RMSG $G qq | g1 g2 2\r\n"},
      {line("$G", "foo", "", {}, 20, 22), "HMSG $G foo 20 22\r\n"},
      {line("$G", "foo", "hrep", {}, 20, 22), "HMSG $G foo hrep 20 22\r\n"},
      {line("$G", "qq", "r", two, 20, 22),
       "HMSG $G qq + r g1 g2 20 22\r\n"},
      // A header message to a route without header support: RMSG, headers cut.
      {line("$G", "hdr.test", "", {}, -1, 2), "RMSG $G hdr.test 2\r\n"},
      {line("$G", "foo", "", {}, -1, 0), "RMSG $G foo 0\r\n"},
      // The publisher's own digits, forwarded verbatim.
      {line("$G", "foo", "", {}, -1, 5, "", "005"), "RMSG $G foo 005\r\n"},
      {line("$G", "foo", "", {}, 20, 22, "020", "0022"),
       "HMSG $G foo 020 0022\r\n"},
  };
  for (const auto& c : cases) {
    std::string out = "x";
    append_routed_msg(out, c.m);
    EXPECT_EQ(out, std::string("x") + c.want);
    EXPECT_EQ(routed_msg_size(c.m), std::string_view(c.want).size()) << c.want;
  }
}

TEST(RouteWriters, WriterOutputParsesBack) {
  const std::string_view qs[] = {"a", "bb", "ccc"};
  RoutedMsgLine m = line("$G", "sub.x", "_INBOX.1", qs, 12, 34);
  std::string line;
  append_routed_msg(line, m);
  ASSERT_EQ(line.substr(0, 5), "HMSG ");
  std::string_view args(line);
  args = args.substr(5, args.size() - 7);
  RoutedMsgArgs back;
  ASSERT_EQ(parse_hmsg(args, back), RouteArgStatus::Ok);
  EXPECT_EQ(back.account, "$G");
  EXPECT_EQ(back.subject, "sub.x");
  EXPECT_EQ(back.reply, "_INBOX.1");
  EXPECT_EQ(back.queues, "a bb ccc");
  EXPECT_EQ(back.nqueues, 3u);
  EXPECT_EQ(back.hdr, 12);
  EXPECT_EQ(back.size, 34);
}
