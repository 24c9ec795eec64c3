// libFuzzer target: the client protocol parser (proto/parser.h) with a
// handler that does what core does with each operation: CONNECT through the
// JSON decoder, SUB/UNSUB argument splitting and subject checks, INFO
// validation, pedantic PUB subject checks. See parser_driver.h.
#include <array>
#include <cstddef>
#include <cstdint>

#include "parser_driver.h"
#include "proto/connect.h"
#include "proto/json.h"
#include "proto/subject.h"

namespace {

using namespace ringnats::proto;

bool client_op(Op op, std::string_view args) {
  switch (op) {
    case Op::Connect: {
      ClientConnectOptions o;
      if (!parse_client_connect(args, o)) return false;
      fuzz::touch(o.name);
      fuzz::touch(o.user);
      return o.protocol >= 0 && o.protocol <= 1 && !o.has_account;
    }
    case Op::Sub: {
      std::array<std::string_view, 3> t;
      size_t n = split_args(args, t, true);
      if (n != 2 && n != 3) return false;
      fuzz::require(!t[0].empty() && !t[n - 1].empty(), "empty SUB token");
      (void)valid_subscribe_subject(t[0]);
      (void)has_wildcard(t[0]);
      (void)subject_matches(t[0], "foo.bar.baz");
      return true;
    }
    case Op::Unsub: {
      std::array<std::string_view, 2> t;
      size_t n = split_args(args, t, true);
      if (n != 1 && n != 2) return false;
      if (n == 2) (void)parse_size(t[1]);
      return true;
    }
    case Op::Info:
      return json_valid(args);
    case Op::Ping:
    case Op::Pong:
    case Op::Ok:
      fuzz::require(args.empty(), "PING/PONG/+OK with arguments");
      return true;
    case Op::Err:
      return false;
    case Op::Pub:
    case Op::Hpub:
      fuzz::require(false, "PUB/HPUB reported through on_op");
      return false;
    default:
      fuzz::require(false, "route-only op on a client connection");
      return false;
  }
}

bool client_msg(const MsgArgs& m, std::string_view payload) {
  fuzz::require(m.op == Op::Pub || m.op == Op::Hpub, "route message op on a client connection");
  fuzz::require(!m.subject.empty(), "PUB without subject");
  (void)valid_literal_subject(m.subject);
  (void)payload;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::Semantics sem{client_op, client_msg};
  fuzz::fuzz_one(ConnKind::Client, sem, data, size);
  return 0;
}
