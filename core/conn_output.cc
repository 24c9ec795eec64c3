// A connection's output: bytes queue in its OutBuf, the connection joins the
// dirty list, and at the end of the turn one gathered send starts for it (a
// second in flight could reorder bytes). A client holding more than
// max_pending (counted with the blocks it pins) is cut off as a slow
// consumer. Only the owning shard's thread.
#include <sys/socket.h>

#include "core/conn_table.h"
#include "core/log.h"
#include "core/reactor.h"
#include "core/server.h"

namespace ringnats {

void ConnTable::mark_dirty(Conn* c) {
  if (!c->dirty) {
    c->dirty = true;
    dirty_.push_back(c);
  }
  note_pending(c);
}

// Publishers to `c` stall while it holds more than the soft cap and reads.
// Once its socket has taken nothing for kStuckSendNs it is not reading:
// it may be waiting for the publisher (a PONG, a reply), so holding the
// publisher cannot help it, and it stalls them only past nats' own
// max_pending/2, as nats would.
void ConnTable::note_pending(Conn* c) {
  // Runs on every delivery: the common case (little queued) decides on one
  // comparison; only past the soft cap is the send's progress looked at.
  bool over = false;
  const size_t pending = c->out.pending();
  if (pending > stall_at_ && c->type == ConnType::Client && !c->closing()) {
    bool stuck = c->send_inflight && now_ - c->send_started_ns > kStuckSendNs;
    over = !stuck || pending > nats_stall_at_;
  }
  if (over != c->over_half) {
    c->over_half = over;
    if (c->pressure) c->pressure->store(over, std::memory_order_relaxed);  // Fanout's import publisher has none
    over_half_ += over ? 1 : -1;
  }
}

void ConnTable::send_err(Conn* c, proto::ErrCode e) {
  proto::ErrInfo info = proto::err_info(e);
  if (!info.wire.empty() && e != proto::ErrCode::SlowConsumer) {
    c->out.append(info.wire);
    mark_dirty(c);
  }
  if (info.closes) close(c, e);
}

void ConnTable::on_send(Conn* c, int res) {
  c->send_inflight = false;
  if (res < 0) {
    c->out.clear();
    close(c, proto::ErrCode::None);
    finish_draining(c);
    release(c);
    return;
  }
  if (c->tls) sent_tls(c, static_cast<size_t>(res));
  else c->out.consume(static_cast<size_t>(res));
  note_pending(c);
  switch (c->state) {
    case ConnState::Open:
      if (more_out(c)) mark_dirty(c);
      return;
    case ConnState::Draining:
      if (!more_out(c)) finish_draining(c);
      else flush(c);
      return;
    case ConnState::Closed:
      c->out.clear();
      release(c);
      return;
    case ConnState::Free:
      return;
  }
}

void ConnTable::flush(Conn* c) {
  if (c->tls) {
    flush_tls(c);
    return;
  }
  if (c->send_inflight || c->out.empty() || c->state == ConnState::Closed ||
      c->state == ConnState::Free)
    return;
  began_send(c, reactor_.send(c->fd, c->out, ud(Ud::Send, c->slot, c->gen)));
}

void ConnTable::began_send(Conn* c, SendShape shape) {
  c->send_inflight = true;
  c->send_started_ns = now_;
  c->send_shape = shape;
}

void ConnTable::flush_dirty() {
  const Options& o = srv_.opts();
  const size_t max_pending = static_cast<size_t>(o.max_pending);
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Conn* c = dirty_[i];
    c->dirty = false;
    if (c->state == ConnState::Free) continue;
    // Charged with what it really holds: its bytes and the blocks they pin.
    if (c->type == ConnType::Client && !c->closing() && c->out.footprint() > max_pending) {
      log::notice("%s:%d - cid:%llu - Slow Consumer Detected: MaxPending of %lld Exceeded",
                  c->remote_ip.c_str(), c->remote_port, static_cast<unsigned long long>(c->cid),
                  static_cast<long long>(o.max_pending));
      send_err(c, proto::ErrCode::SlowConsumer);
      continue;
    }
    flush(c);
  }
  dirty_.clear();
}

void ConnTable::options_changed() {
  nats_stall_at_ = static_cast<size_t>(srv_.opts().max_pending / 2);
  stall_at_ = std::min(nats_stall_at_, kStallSoftCap);
  ref_budget_ = std::min<size_t>(size_t{1} << 20, nats_stall_at_ / 2);
}

void ConnTable::expire_closing(Conn* c) {
  // Its last words cannot be delivered to a peer that stopped reading.
  if (c->closing() && c->send_inflight && now_ - c->send_started_ns > srv_.opts().write_deadline_ns)
    ::shutdown(c->fd, SHUT_RDWR);
}

}  // namespace ringnats
