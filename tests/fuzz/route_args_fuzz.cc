// libFuzzer target: route argument splitting and the route line writers
// (proto/route_args.h). Every parser runs on the input; whatever parses is
// written back with the writers and parsed again, and must come back equal
// (for RS+ only with a weight the writer can express: > 0).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/route_args.h"

namespace {

using namespace ringnats::proto;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
  }
}

// "RS+ a b\r\n" -> "a b": the arguments of a line a writer produced.
std::string_view args_of(std::string_view line, size_t op_len) {
  require(line.size() >= op_len + 2, "written line too short");
  require(line.substr(line.size() - 2) == "\r\n", "written line without CRLF");
  return line.substr(op_len, line.size() - op_len - 2);
}

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  ArgTokens t(s);
  std::string_view tok;
  while (t.next(tok)) out.push_back(tok);
  return out;
}

void check_remote_sub(std::string_view in, bool origin) {
  RemoteSubArgs a;
  if (parse_remote_sub(in, a, origin) != RouteArgStatus::Ok) return;
  require(!a.account.empty() && !a.subject.empty(), "RS+ without account or subject");
  require(a.key.size() <= in.size(), "RS+ key longer than its arguments");
  if (origin || (!a.queue.empty() && a.weight <= 0)) return;
  std::string line;
  append_rs_plus(line, a.account, a.subject, a.queue, a.weight);
  require(line.size() == rs_plus_size(a.account, a.subject, a.queue, a.weight), "rs_plus_size");
  std::vector<char> small(line.size() - 1);
  require(write_rs_plus(small.data(), small.size(), a.account, a.subject, a.queue, a.weight) == 0,
          "write_rs_plus wrote past cap");
  RemoteSubArgs b;
  require(parse_remote_sub(args_of(line, 4), b) == RouteArgStatus::Ok, "RS+ round trip refused");
  require(a.account == b.account && a.subject == b.subject && a.queue == b.queue &&
              a.weight == b.weight,
          "RS+ round trip changed the arguments");
}

void check_remote_unsub(std::string_view in) {
  RemoteSubArgs a;
  if (parse_remote_unsub(in, a) != RouteArgStatus::Ok) return;
  std::string line;
  append_rs_minus(line, a.account, a.subject, a.queue);
  require(line.size() == rs_minus_size(a.account, a.subject, a.queue), "rs_minus_size");
  RemoteSubArgs b;
  require(parse_remote_unsub(args_of(line, 4), b) == RouteArgStatus::Ok, "RS- round trip refused");
  require(a.account == b.account && a.subject == b.subject && a.queue == b.queue,
          "RS- round trip changed the arguments");
}

void check_routed(RoutedOp op, std::string_view in) {
  RoutedMsgArgs a;
  RouteArgStatus st = parse_routed_msg(op, in, a);
  require(!route_arg_error_text(st).empty() || st == RouteArgStatus::Ok, "error without text");
  if (st != RouteArgStatus::Ok) return;
  require(a.size >= 0 && a.hdr <= a.size, "sizes out of order");
  auto qs = tokens(a.queues);
  require(qs.size() == a.nqueues, "nqueues differs from the queue tokens");
  if (op == RoutedOp::Lmsg) return;  // no LMSG writer
  RoutedMsgLine m;
  m.account = a.account;
  m.subject = a.subject;
  m.reply = a.reply;
  m.queues = qs;
  m.hdr = a.hdr;
  m.size = a.size;
  std::string line;
  append_routed_msg(line, m);
  require(line.size() == routed_msg_size(m), "routed_msg_size");
  std::vector<char> small(line.size() - 1);
  require(write_routed_msg(small.data(), small.size(), m) == 0, "write_routed_msg wrote past cap");
  RoutedMsgArgs b;
  require(parse_routed_msg(op, args_of(line, 5), b) == RouteArgStatus::Ok, "RMSG round trip refused");
  require(a.account == b.account && a.subject == b.subject && a.reply == b.reply &&
              a.hdr == b.hdr && a.size == b.size && tokens(b.queues) == qs,
          "RMSG/HMSG round trip changed the arguments");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return 0;
  // An exact-size heap copy: reads past the end are caught.
  std::vector<char> buf(data, data + size);
  std::string_view in(buf.data(), buf.size());
  check_remote_sub(in, false);
  check_remote_sub(in, true);
  check_remote_unsub(in);
  check_routed(RoutedOp::Rmsg, in);
  check_routed(RoutedOp::Hmsg, in);
  check_routed(RoutedOp::Lmsg, in);
  return 0;
}
