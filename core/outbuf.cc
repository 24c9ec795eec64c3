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
  head_ = 0;
  pending_ = 0;
  if (chunk_) {
    chunk_->unref();
    chunk_ = nullptr;
  }
}

void OutBuf::push_seg(Block* b, const char* p, size_t n) {
  if (head_ < segs_.size()) {
    Seg& last = segs_.back();
    if (last.block == b && last.p + last.len == p) {
      last.len += static_cast<uint32_t>(n);
      pending_ += n;
      return;
    }
  }
  b->ref();
  segs_.push_back(Seg{b, p, static_cast<uint32_t>(n)});
  pending_ += n;
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
      s.block->unref();
      ++head_;
    } else {
      s.p += n;
      s.len -= static_cast<uint32_t>(n);
      n = 0;
    }
  }
  if (head_ == segs_.size()) {
    segs_.clear();
    head_ = 0;
  } else if (head_ > 64 && head_ * 2 > segs_.size()) {
    segs_.erase(segs_.begin(), segs_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace ringnats
