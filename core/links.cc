// ShardLinks: batches, spill, in-flight accounting and the publish/wake and
// room handshakes between shards. Ring capacity is a share of a fixed number
// of records per shard, so ring memory per shard does not grow with the
// shard count.
#include "core/links.h"

#include <algorithm>
#include <atomic>

#include "core/reactor.h"
#include "core/server.h"

namespace ringnats {

namespace {
// Records in flight from one shard, over all its peers: each pair's ring
// gets an equal share (16384 at two shards, 1024 from 64 on), so ring memory
// per shard stays about 3.5 MiB at any shard count instead of growing with
// it. What does not fit spills in order on the producer.
constexpr size_t kRingRecordsPerShard = 65536;
constexpr size_t kRingMin = 1024, kRingMax = 16384;
}  // namespace

size_t shard_ring_capacity(int nshards) {
  size_t share = kRingRecordsPerShard / static_cast<size_t>(nshards > 0 ? nshards : 1);
  size_t cap = kRingMin;
  while (cap * 2 <= share && cap < kRingMax) cap *= 2;
  return cap;
}

ShardLinks::ShardLinks(Server& srv, int id) : srv_(srv), id_(id), n_(srv.nshards()) {
  spill_.resize(static_cast<size_t>(n_));
  batch_.assign(static_cast<size_t>(n_), nullptr);
  touched_.assign(static_cast<size_t>(n_), false);
}

ShardLinks::~ShardLinks() {
  for (Block* b : batch_)
    if (b) b->unref();
  for (auto& sp : spill_)
    for (; !sp.empty(); sp.pop_front()) release_rec(sp.front());
}

void release_rec(Rec& r) {
  if (r.payload) r.payload->unref();
  switch (r.kind) {
    case RecKind::BatchDone:
      r.block->unref();
      break;
    case RecKind::SubAdd:
    case RecKind::SubRemove:
      delete static_cast<SubOp*>(r.ctl);
      break;
    case RecKind::Control:
      delete static_cast<std::function<void(Shard&)>*>(r.ctl);
      break;
    case RecKind::NewConn:
      ::close(static_cast<int>(r.slot));
      break;
    default:
      break;
  }
}

SpscRing<Rec>& ShardLinks::out(int dst) const { return srv_.ring(id_, dst); }
SpscRing<Rec>& ShardLinks::in(int src) const { return srv_.ring(src, id_); }
void ShardLinks::wake(Reactor& self, int peer) { self.wake_peer(srv_.shard(peer).reactor()); }

void ShardLinks::push(int dst, const Rec& r) {
  touched_[dst] = true;
  auto& sp = spill_[dst];
  if (sp.empty() && out(dst).push(r)) return;
  // Full ring: keep order by queueing behind it; past kSpillCap the shard
  // stops reading its publishers.
  spill_bytes_ += r.len + r.plen + sizeof(Rec);
  sp.push_back(r);
}

Block* ShardLinks::batch_for(int dst, size_t need) {
  Block*& b = batch_[dst];
  if (b && b->room() >= need) return b;
  if (b) {
    Rec done{RecKind::BatchDone};
    done.block = b;
    push(dst, done);
  }
  b = Block::make(std::max(kBatchSize, need));
  charge(dst, b->cap);
  return b;
}

void ShardLinks::charge(int dst, size_t n) {
  out(dst).charge(n);
  inflight_bytes_ += n;
}

void ShardLinks::discharge(int src, size_t n) { in(src).discharge(n); }

void ShardLinks::refresh_inflight() {
  inflight_bytes_ = 0;
  for (int d = 0; d < n_; ++d)
    if (d != id_) inflight_bytes_ += out(d).in_flight();
}

void ShardLinks::publish(Reactor& self) {
  for (int d = 0; d < n_; ++d) {
    if (batch_[d]) {
      Rec done{RecKind::BatchDone};
      done.block = batch_[d];
      batch_[d] = nullptr;
      push(d, done);
    }
    auto& sp = spill_[d];
    auto& ring = out(d);
    while (!sp.empty() && ring.push(sp.front())) {
      spill_bytes_ -= sp.front().len + sp.front().plen + sizeof(Rec);
      sp.pop_front();
    }
    if (touched_[d] || ring.has_staged()) {
      touched_[d] = false;
      // Sleep/wake handshake (see Shard::run): publish, full fence, then
      // read the peer's sleeping flag. Either it sees our records before it
      // sleeps, or we see it asleep and wake it.
      if (ring.publish()) {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        wake(self, d);
      }
    }
  }
}

bool ShardLinks::idle() const {
  for (int p = 0; p < n_; ++p) {
    if (p == id_) continue;
    if (!in(p).empty_for_consumer()) return false;
    auto& o = out(p);
    if (o.has_staged() || batch_[p]) return false;
    if (!spill_[p].empty() && !o.full_for_producer()) return false;
  }
  return true;
}

void ShardLinks::announce_waiting(bool throttled) {
  for (int p = 0; p < n_; ++p)
    if (p != id_ && (!spill_[p].empty() || (throttled && out(p).in_flight())))
      out(p).set_producer_waiting();
}

}  // namespace ringnats
