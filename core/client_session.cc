// The client protocol (see client_session.h). Error texts, log lines and
// which errors close the connection follow nats-server 2.9.
#include "core/client_session.h"

#include <algorithm>
#include <array>

#include "config/conf.h"
#include "core/conn_table.h"
#include "core/log.h"
#include "core/server.h"
#include "core/sub_table.h"
#include "core/trace.h"
#include "proto/connect.h"
#include "proto/subject.h"
#include "auth/nkey_sig.h"

namespace ringnats {

using proto::ErrCode;
using proto::Flow;
using proto::Op;

namespace {
unsigned long long id(const Conn* c) { return static_cast<unsigned long long>(c->cid); }
}  // namespace

namespace {
// As nats-server: the first PING (which measures the RTT monitoring shows)
// goes out 2 s after connect, and the RTT is measured again when older than
// a minute, even on a busy connection.
constexpr int64_t kFirstPingNs = 2'000'000'000;
constexpr int64_t kRttRefreshNs = 60'000'000'000;
}  // namespace

ClientSession::ClientSession(Server& srv, int shard_id, ConnTable& conns, SubTable& subs, const int64_t& now)
    : srv_(srv), shard_id_(shard_id), conns_(conns), subs_(subs), now_(now) {}

void ClientSession::ok(Conn* c) {
  if (!c->verbose) return;
  c->out.append("+OK\r\n");
  conns_.mark_dirty(c);
}

void ClientSession::send_info(Conn* c, bool first) {
  c->out.append(srv_.client_info(*c, first));
  conns_.mark_dirty(c);
}

void ClientSession::opened(Conn* c) {
  const Options& o = srv_.opts();
  int n = srv_.num_conns().fetch_add(1) + 1;
  srv_.count_client();
  log::debug("%s:%d - cid:%llu - Client connection created", c->remote_ip.c_str(), c->remote_port, id(c));
  // nats sends a nonce to sign when nkey users exist.
  if (srv_.users().has_nkeys()) c->nonce = auth::make_nonce();
  send_info(c, true);
  if (n > o.max_connections) {
    log::error("%s:%d - cid:%llu - maximum connections exceeded", c->remote_ip.c_str(),
               c->remote_port, id(c));
    conns_.send_err(c, ErrCode::MaxConnections);
    return;
  }
  if (srv_.auth_required()) {
    // With no_auth_user a first op other than CONNECT logs that user in
    // (login_without_connect), so the parser need not refuse it.
    c->parser.set_require_connect(o.security.no_auth_user.empty());
    c->auth_deadline_ns = c->created_ns + o.auth_timeout_ns;
  }
  c->next_ping_ns = c->created_ns + std::min(kFirstPingNs, o.ping_interval_ns);
}

void ClientSession::closing(Conn* c, ErrCode why) {
  srv_.num_conns().fetch_sub(1);
  log::debug("%s:%d - cid:%llu - Client connection closed: %s", c->remote_ip.c_str(),
             c->remote_port, id(c),
             why == ErrCode::SlowConsumer     ? "Slow Consumer (Pending Bytes)"
             : why == ErrCode::ServerShutdown ? "Server Shutdown"
             : why == ErrCode::TlsHandshake   ? "TLS Handshake Failure"
                                              : "Client Closed");
}

namespace {
const char* op_name(Op op) {
  switch (op) {
    case Op::Connect: return "CONNECT";
    case Op::Sub: return "SUB";
    case Op::Unsub: return "UNSUB";
    case Op::Ping: return "PING";
    case Op::Pong: return "PONG";
    case Op::Ok: return "OK";
    case Op::Err: return "-ERR";
    case Op::Info: return "INFO";
    default: return nullptr;
  }
}
}  // namespace

Flow ClientSession::on_op(Conn* c, Op op, std::string_view args) {
  // nats traces an UNSUB by what it did (DELSUB), not as read.
  if (log::trace_enabled() && op != Op::Unsub)
    if (const char* name = op_name(op)) trace::in(*c, name, args);
  // Authentication pending and the first op is not CONNECT: only a
  // no_auth_user lets it through (the parser refuses it otherwise).
  if (op != Op::Connect && !c->connect_received && c->auth_deadline_ns && !login_without_connect(c)) {
    auth_violation(c);
    return Flow::Stop;
  }
  switch (op) {
    case Op::Connect:
      return connect(c, args);
    case Op::Sub:
      return sub(c, args);
    case Op::Unsub:
      return unsub(c, args);
    case Op::Ping: {
      if (log::trace_enabled()) trace::out(*c, "PONG");
      c->out.append("PONG\r\n");
      conns_.mark_dirty(c);
      if (c->connect_received && !c->first_pong_sent) {
        c->first_pong_sent = true;
        // Topology changed while this client was connecting: tell it now.
        if (c->protocol >= 1 && srv_.connect_urls_changed_ns() >= c->created_ns) send_info(c);
      }
      return Flow::Continue;
    }
    case Op::Pong:
      if (c->ping_out > 0 && c->rtt_start_ns) c->rtt_ns = std::max<int64_t>(now_ - c->rtt_start_ns, 1);
      c->ping_out = 0;
      return Flow::Continue;
    case Op::Ok:
      return Flow::Continue;
    case Op::Err:
      log::error("%s:%d - cid:%llu - Client Error %.*s", c->remote_ip.c_str(), c->remote_port,
                 id(c), static_cast<int>(args.size()), args.data());
      conns_.close(c, ErrCode::ProtocolViolation);
      return Flow::Stop;
    case Op::Info:
      if (!proto::json_valid(args)) {
        conns_.close(c, ErrCode::ProtocolViolation);
        return Flow::Stop;
      }
      return Flow::Continue;
    default:
      conns_.send_err(c, ErrCode::UnknownOp);
      return Flow::Stop;
  }
}

Flow ClientSession::connect(Conn* c, std::string_view args) {
  proto::ClientConnectOptions o;
  o.verbose = c->verbose;
  o.pedantic = c->pedantic;
  o.echo = c->echo;
  o.headers = c->headers;
  o.no_responders = c->no_responders;
  o.protocol = c->protocol;
  if (!proto::parse_client_connect(args, o)) {
    log::error("%s:%d - cid:%llu - Client parser ERROR (bad CONNECT)", c->remote_ip.c_str(),
               c->remote_port, id(c));
    conns_.close(c, ErrCode::ProtocolViolation);
    return Flow::Stop;
  }
  c->verbose = o.verbose;
  c->pedantic = o.pedantic;
  c->echo = o.echo;
  c->headers = o.headers;
  c->no_responders = o.no_responders;
  c->protocol = (o.protocol < 0 || o.protocol > 1) ? -1 : static_cast<int>(o.protocol);  // -1: refused below
  c->name = o.name;
  c->lang = o.lang;
  c->version = o.version;
  c->auth_user = o.user;
  c->auth_pass = o.pass;
  c->auth_token = o.auth_token;
  c->auth_nkey = o.nkey;
  if (srv_.auth_required()) {
    switch (authenticate(c, o.sig, o.has_account, false)) {
      case AuthStep::Fail:
        auth_violation(c);
        return Flow::Stop;
      case AuthStep::Pending:
        // The auth workers have it; the parser waits (the rest of the
        // buffer is held) until Shard::auth_checked resumes it.
        return Flow::Pause;
      case AuthStep::Ok:
        break;
    }
  }
  return finish_connect(c, o.has_account);
}

Flow ClientSession::finish_connect(Conn* c, bool has_account) {
  if (has_account) {
    conns_.send_err(c, ErrCode::AuthViolation);
    return Flow::Stop;
  }
  c->connect_received = true;
  c->auth_deadline_ns = 0;
  // nats' first estimate of the round trip: accept to CONNECT.
  if (c->rtt_ns == 0) c->rtt_ns = std::max<int64_t>(now_ - c->created_ns, 1);
  c->parser.set_require_connect(false);
  if (c->protocol < 0 || c->protocol > 1) {
    conns_.send_err(c, ErrCode::BadClientProtocol);
    return Flow::Stop;
  }
  if (c->no_responders && !c->headers) {
    conns_.send_err(c, ErrCode::NoRespondersNeedsHeaders);
    return Flow::Stop;
  }
  ok(c);
  return Flow::Continue;
}

Flow ClientSession::sub(Conn* c, std::string_view args) {
  std::array<std::string_view, 3> t;
  size_t n = proto::split_args(args, t, true);
  if (n != 2 && n != 3) {
    log::error("%s:%d - cid:%llu - processSub Parse Error", c->remote_ip.c_str(), c->remote_port, id(c));
    conns_.close(c, ErrCode::ProtocolViolation);
    return Flow::Stop;
  }
  std::string_view subject = t[0], queue = n == 3 ? t[1] : std::string_view(), sid = t[n - 1];
  // nats checks permissions before anything else about the SUB.
  if (c->perms && !c->perms->can_subscribe(subject, queue)) {
    sub_violation(c, subject, queue, sid);
    return Flow::Continue;
  }
  const Options& o = srv_.opts();
  if (o.max_subs > 0 && c->subs.size() >= static_cast<size_t>(o.max_subs)) {
    log::error("%s:%d - cid:%llu - maximum subscriptions exceeded", c->remote_ip.c_str(),
               c->remote_port, id(c));
    conns_.send_err(c, ErrCode::MaxSubscriptions);
    return Flow::Continue;
  }
  if (c->subs.contains(absl::string_view(sid.data(), sid.size()))) {
    ok(c);  // nats keeps the old subscription, silently
    return Flow::Continue;
  }
  if (!proto::valid_subscribe_subject(subject)) {
    conns_.send_err(c, ErrCode::InvalidSubject);
    return Flow::Continue;
  }
  ok(c);
  if (int acks = subs_.subscribe(c, subject, queue, sid)) {
    // Its partition is on a peer: no PUB or PING of this connection may pass
    // the SUB before the peer has it in the index.
    c->pending_acks += acks;
    c->parser.set_hold(true);
  }
  return Flow::Continue;
}

Flow ClientSession::unsub(Conn* c, std::string_view args) {
  std::array<std::string_view, 2> t;
  size_t n = proto::split_args(args, t, true);
  if (n != 1 && n != 2) {
    log::error("%s:%d - cid:%llu - processUnsub Parse Error", c->remote_ip.c_str(),
               c->remote_port, id(c));
    conns_.close(c, ErrCode::ProtocolViolation);
    return Flow::Stop;
  }
  int64_t max = n == 2 ? proto::parse_size(t[1]) : -1;
  auto it = c->subs.find(absl::string_view(t[0].data(), t[0].size()));
  if (it != c->subs.end()) {
    Sub& s = subs_[it->second];
    if (max > 0 && static_cast<uint64_t>(max) > s.delivered) {
      s.max = static_cast<uint64_t>(max);
    } else {
      if (log::trace_enabled()) trace::delsub(*c, s.sid);
      subs_.unsubscribe(c, it->second);
    }
  }
  ok(c);
  return Flow::Continue;
}

Flow ClientSession::on_pub_args(Conn* c, const proto::MsgArgs& m) {
  if (log::trace_enabled()) trace::in(*c, m.op == proto::Op::Hpub ? "HPUB" : "PUB", m.args);
  if (!c->connect_received && c->auth_deadline_ns && !login_without_connect(c)) {
    auth_violation(c);
    return Flow::Stop;
  }
  if (m.op == proto::Op::Hpub && !c->headers) {
    log::error("%s:%d - cid:%llu - Client parser ERROR (headers not supported)",
               c->remote_ip.c_str(), c->remote_port, id(c));
    conns_.close(c, ErrCode::ProtocolViolation);
    return Flow::Stop;
  }
  if (m.size > srv_.opts().max_payload) {
    log::error("%s:%d - cid:%llu - Maximum Payload Violation: %lld vs %lld", c->remote_ip.c_str(),
               c->remote_port, id(c), static_cast<long long>(m.size),
               static_cast<long long>(srv_.opts().max_payload));
    conns_.send_err(c, ErrCode::MaxPayload);
    return Flow::Stop;
  }
  if (c->pedantic && !proto::valid_literal_subject(m.subject))
    conns_.send_err(c, ErrCode::InvalidPubSubject);
  return Flow::Continue;
}

void ClientSession::tick(Conn* c, int64_t now) {
  const Options& o = srv_.opts();
  if (c->send_inflight && now - c->send_started_ns > o.write_deadline_ns) {
    log::notice("%s:%d - cid:%llu - Slow Consumer Detected: WriteDeadline of %s exceeded with %d chunks of %zu "
                "total bytes.",
                c->remote_ip.c_str(), c->remote_port, id(c), conf::go_duration(o.write_deadline_ns).c_str(),
                c->send_shape.chunks, c->send_shape.bytes);
    conns_.send_err(c, ErrCode::SlowConsumer);
    return;
  }
  if (c->auth_deadline_ns && now >= c->auth_deadline_ns) {
    log::debug("%s:%d - cid:%llu - Authentication Timeout", c->remote_ip.c_str(), c->remote_port, id(c));
    conns_.send_err(c, ErrCode::AuthTimeout);
    return;
  }
  if (now < c->next_ping_ns) return;
  c->next_ping_ns = now + o.ping_interval_ns;
  bool need_rtt = c->rtt_ns == 0 || now - c->rtt_start_ns > kRttRefreshNs;
  if (now - c->last_in_ns < o.ping_interval_ns && c->ping_out == 0 && !need_rtt) return;
  if (c->ping_out + 1 > o.ping_max) {
    log::debug("%s:%d - cid:%llu - Stale Client Connection - Closing", c->remote_ip.c_str(),
               c->remote_port, id(c));
    c->out.append("PING\r\n");
    conns_.send_err(c, ErrCode::StaleConnection);
    return;
  }
  ++c->ping_out;
  c->rtt_start_ns = now;
  c->out.append("PING\r\n");
  conns_.mark_dirty(c);
}

}  // namespace ringnats
