// OutBuf: merges adjacent ranges of the same block so a burst of small
// messages becomes one iovec.
#include "core/outbuf.h"

#include <algorithm>
#include <cstring>

namespace ringnats {

OutBuf::~OutBuf() { clear(); }

void OutBuf::clear() {
  for (size_t i = head_; i < segs_.size(); ++i) segs_[i].block->unref();
  segs_.clear();
  segs_.shrink_to_fit();
  head_ = 0;
  pending_ = 0;
  footprint_ = 0;
  if (chunk_) {
    chunk_->unref();
    chunk_ = nullptr;
  }
}

void OutBuf::push_seg(Block* b, const char* p, size_t n) {
  bool same_block = false;
  if (head_ < segs_.size()) {
    Seg& last = segs_.back();
    if (last.block == b && last.p + last.len == p) {
      last.len += static_cast<uint32_t>(n);
      last.charge += static_cast<uint32_t>(n);
      pending_ += n;
      footprint_ += n;
      return;
    }
    // Deliveries from two sources interleave (our own chunk for one, a
    // peer's batch for the other): a block among the last few ranges is
    // already charged in full, so a range on it again costs its bytes.
    for (size_t i = segs_.size(), k = 0; i > head_ && k < kChargeLookback && !same_block; --i, ++k)
      same_block = segs_[i - 1].block == b;
  }
  // The first range on another block pins all of it; our own chunk is
  // charged by the bytes written (it is reused once everything is sent).
  uint32_t charge = static_cast<uint32_t>(n);
  if (b != chunk_ && !same_block) charge = std::max<uint32_t>(charge, b->cap);
  b->ref();
  segs_.push_back(Seg{b, p, static_cast<uint32_t>(n), charge});
  pending_ += n;
  footprint_ += charge;
}

char* OutBuf::reserve(size_t n) {
  // Everything we wrote into the chunk has been sent: start it over.
  if (chunk_ && chunk_->refs.load(std::memory_order_relaxed) == 1) chunk_->len = 0;
  if (!chunk_ || chunk_->room() < n) {
    if (chunk_) chunk_->unref();
    chunk_ = Block::make(std::max(kChunk, n));
  }
  return chunk_->tail();
}

void OutBuf::commit(char* start, size_t used) {
  chunk_->len += static_cast<uint32_t>(used);
  push_seg(chunk_, start, used);
}

void OutBuf::append(const char* p, size_t n) {
  char* dst = reserve(n);
  std::memcpy(dst, p, n);
  commit(dst, n);
}

void OutBuf::append_ref(Block* b, const char* p, size_t n) {
  if (n) push_seg(b, p, n);
}

int OutBuf::fill_iov(iovec* iov, int max) const {
  int k = 0;
  for (size_t i = head_; i < segs_.size() && k < max; ++i, ++k) {
    iov[k].iov_base = const_cast<char*>(segs_[i].p);
    iov[k].iov_len = segs_[i].len;
  }
  return k;
}

void OutBuf::consume(size_t n) {
  pending_ -= n;
  while (n > 0 && head_ < segs_.size()) {
    Seg& s = segs_[head_];
    if (n >= s.len) {
      n -= s.len;
      footprint_ -= s.charge;
      s.block->unref();
      ++head_;
    } else {
      // A partly sent range keeps pinning its block: charge the rest as the
      // bytes left, or the block if it was charged as one.
      uint32_t left = s.len - static_cast<uint32_t>(n);
      uint32_t charge = s.charge > s.len ? s.charge : left;
      footprint_ -= s.charge - charge;
      s.charge = charge;
      s.p += n;
      s.len = left;
      n = 0;
    }
  }
  if (head_ == segs_.size()) {
    segs_.clear();
    head_ = 0;
    // Idle connections hold no chunk: it goes back to the pool until the
    // next write.
    if (chunk_) {
      chunk_->unref();
      chunk_ = nullptr;
    }
    if (segs_.capacity() > 64) segs_.shrink_to_fit();
  } else if (head_ > 64 && head_ * 2 > segs_.size()) {
    segs_.erase(segs_.begin(), segs_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace ringnats
