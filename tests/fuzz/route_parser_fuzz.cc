// libFuzzer target: the route protocol parser (proto/parser.h, ConnKind::Route)
// with a handler that does what cluster/ does with each operation: CONNECT
// and INFO through the route handshake decoders and checks, RS+/RS-/LS+/LS-
// through proto/route_args.h, RMSG/HMSG arguments through the routed-message
// splitter and core's queue-list extraction. See parser_driver.h.
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
      fuzz::require(false, "message op reported through on_op");
      return false;
    default:
      return false;  // SUB, UNSUB, LMSG on a route: core closes it
  }
}

bool route_msg(const MsgArgs& m, std::string_view payload) {
  (void)payload;
  RoutedMsgArgs r;
  RoutedOp rop = RoutedOp::Rmsg;
  if (m.op == Op::Hmsg) rop = RoutedOp::Hmsg;
  if (parse_routed_msg(rop, m.args, r) == RouteArgStatus::Ok) {
    ArgTokens qs(r.queues);
    std::string_view q;
    size_t n = 0;
    while (qs.next(q)) {
      fuzz::touch(q);
      ++n;
    }
    fuzz::require(n == r.nqueues, "queue count differs from the queue tokens");
  }
  // core/deliver.cc on_msg for a route: queue groups follow the marker.
  // Core tests `qstart < 2 + extra + 1`, one too far: with no queue after
  // the marker ("RMSG $G foo | 5", "RMSG $G foo + r 5") its span runs from
  // the size token back to the marker, a negative length (reported; this
  // copy uses the right bound so the fuzzer keeps looking past it).
  std::array<std::string_view, 64> t;
  size_t n = split_args(m.args, t);
  size_t sizes = m.op == Op::Hmsg ? 2 : 1;
  if (n > 2 + sizes && n <= t.size()) {
    size_t extra = n - 2 - sizes;
    if (t[2] == "+" || t[2] == "|") {
      size_t qstart = 3;
      if (t[2] == "+") qstart = 4;
      if (qstart < 2 + extra) {
        const char* b = t[qstart].data();
        const char* e = t[1 + extra].data() + t[1 + extra].size();
        fuzz::require(b <= e, "queue span reversed");
        fuzz::touch(std::string_view(b, static_cast<size_t>(e - b)));
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::Semantics sem{route_op, route_msg};
  fuzz::fuzz_one(ConnKind::Route, sem, data, size);
  return 0;
}
