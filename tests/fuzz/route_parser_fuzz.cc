// libFuzzer target: the route protocol parser (proto/parser.h, ConnKind::Route)
// with a handler that does what cluster/ does with each operation: CONNECT
// and INFO through the route handshake decoders and checks, RS+/RS-/LS+/LS-
// through proto/route_args.h, RMSG/HMSG arguments through the routed-message
// splitter, as core does. See parser_driver.h.
#include <array>
#include <cstddef>
#include <cstdint>

#include "cluster/route_info.h"
#include "parser_driver.h"
#include "proto/route_args.h"
#include "proto/subject.h"

namespace {

using namespace ringnats::proto;
using namespace ringnats::cluster;

bool route_op(Op op, std::string_view args) {
  switch (op) {
    case Op::Connect: {
      RouteConnect rc;
      if (!parse_route_connect(args, rc)) return false;
      RouteConnectVerdict v = check_route_connect(rc, "c1", false);
      fuzz::touch(route_connect_error(v, rc, "c1"));
      fuzz::touch(route_connect_line(rc));
      return v == RouteConnectVerdict::Accept || v == RouteConnectVerdict::AdoptName;
    }
    case Op::Info: {
      RouteInfo info;
      if (!parse_route_info(args, info)) return false;
      RouteInfoContext ctx;
      ctx.our_id = "NOURID";
      ctx.our_name = "me";
      ctx.our_cluster = "c1";
      (void)check_route_info(info, ctx);
      ctx.info_received = true;
      ctx.remote_id = info.server_id;
      (void)check_route_info(info, ctx);
      RouteInfo g = gossip_info(info, "127.0.0.1");
      fuzz::touch(route_info_line(g, true));
      fuzz::touch(route_url(info.ip, info.port));
      return true;
    }
    case Op::RsPlus:
    case Op::LsPlus: {
      RemoteSubArgs a;
      if (parse_remote_sub(args, a, op == Op::LsPlus) != RouteArgStatus::Ok) return false;
      fuzz::touch(a.key);
      std::string line;
      append_rs_plus(line, a.account, a.subject, a.queue, a.weight);
      return true;
    }
    case Op::RsMinus:
    case Op::LsMinus: {
      RemoteSubArgs a;
      if (parse_remote_unsub(args, a) != RouteArgStatus::Ok) return false;
      fuzz::touch(a.key);
      std::string line;
      append_rs_minus(line, a.account, a.subject, a.queue);
      return true;
    }
    case Op::Ping:
    case Op::Pong:
    case Op::Ok:
      return true;
    case Op::Err:
      return false;
    case Op::Pub:
    case Op::Hpub:
    case Op::Rmsg:
    case Op::Hmsg:
    case Op::Lmsg:
      fuzz::require(false, "message op reported through on_op");
      return false;
    case Op::AccPlus:
    case Op::AccMinus:
      return true;  // account interest: accepted and ignored
    default:
      return false;  // SUB, UNSUB on a route: core closes it
  }
}

bool route_msg(const MsgArgs& m, std::string_view payload) {
  (void)payload;
  // PUB/HPUB on a route: nats reads them as a client's and drops them, and
  // so does cluster/route_manager.cc; only their framing matters.
  if (m.op == Op::Pub || m.op == Op::Hpub) return true;
  fuzz::require(m.op == Op::Rmsg || m.op == Op::Hmsg || m.op == Op::Lmsg,
                "client message op on a route");
  // core/deliver.cc: reply and queue groups as nats splits them.
  RoutedMsgArgs r;
  RoutedOp rop = m.op == Op::Hmsg ? RoutedOp::Hmsg : m.op == Op::Lmsg ? RoutedOp::Lmsg : RoutedOp::Rmsg;
  if (parse_routed_msg(rop, m.args, r) == RouteArgStatus::Ok) {
    fuzz::touch(r.reply);
    ArgTokens qs(r.queues);
    std::string_view q;
    size_t n = 0;
    while (qs.next(q)) {
      fuzz::touch(q);
      ++n;
    }
    fuzz::require(n == r.nqueues, "queue count differs from the queue tokens");
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::Semantics sem{route_op, route_msg};
  fuzz::fuzz_one(ConnKind::Route, sem, data, size);
  return 0;
}
