// Reference-counted byte blocks: the one place a payload is copied to when it
// must outlive the receive buffer or leave the shard. Outbound queues point
// into blocks with iovecs instead of copying again. Blocks of the two common
// sizes are recycled through small per-thread pools so their pages stay hot.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace ringnats {

struct Block {
  static constexpr size_t kChunk = 16 * 1024;  // a connection's outbound chunk
  static constexpr size_t kBatch = 64 * 1024;  // a shard-to-shard batch

  std::atomic<int32_t> refs;
  uint32_t cap;
  uint32_t len;
  char data[];

  static Block* make(size_t cap) {
    if (cap <= kChunk) cap = kChunk;
    else if (cap <= kBatch) cap = kBatch;
    Block* b = nullptr;
    auto* pool = pool_for(cap);
    if (pool && pool->empty()) refill(*pool, cap);
    if (pool && !pool->empty()) {
      b = pool->back();
      pool->pop_back();
    } else {
      void* mem = std::malloc(sizeof(Block) + cap);
      if (!mem) throw std::bad_alloc();
      b = static_cast<Block*>(mem);
      new (&b->refs) std::atomic<int32_t>(0);
      b->cap = static_cast<uint32_t>(cap);
    }
    b->refs.store(1, std::memory_order_relaxed);
    b->len = 0;
    return b;
  }
  void ref(int32_t n = 1) { refs.fetch_add(n, std::memory_order_relaxed); }
  void unref() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) recycle(this);
  }
  size_t room() const { return cap - len; }
  char* tail() { return data + len; }
  void put(const void* p, size_t n) {
    if (n == 0) return;  // p may be null for an empty payload
    std::memcpy(data + len, p, n);
    len += static_cast<uint32_t>(n);
  }

 private:
  static constexpr size_t kPoolMax = 256;
  static constexpr size_t kMove = 32;  // blocks moved per trip to the shared pool
  struct Pools {
    std::vector<Block*> chunk, batch;
    ~Pools() {
      for (Block* b : chunk) std::free(b);
      for (Block* b : batch) std::free(b);
    }
  };
  static std::vector<Block*>* pool_for(size_t cap) {
    static thread_local Pools pools;
    if (cap == kChunk) return &pools.chunk;
    if (cap == kBatch) return &pools.batch;
    return nullptr;
  }
  // A batch is filled on the publisher's shard and freed on the
  // subscriber's, so thread pools alone would drain on one side and overflow
  // on the other. Overflow goes to a shared pool in groups of kMove: one lock
  // per 32 blocks of 16-64 KB, never per message.
  struct Shared {
    std::mutex mu;
    std::vector<Block*> chunk, batch;
    ~Shared() {
      for (Block* b : chunk) std::free(b);
      for (Block* b : batch) std::free(b);
    }
  };
  static Shared& shared() {
    static Shared s;
    return s;
  }
  static void refill(std::vector<Block*>& pool, size_t cap) {
    Shared& sh = shared();
    std::lock_guard<std::mutex> g(sh.mu);
    auto& src = cap == kChunk ? sh.chunk : sh.batch;
    for (size_t i = 0; i < kMove && !src.empty(); ++i) {
      pool.push_back(src.back());
      src.pop_back();
    }
  }
  // Freed on whichever thread drops the last reference; pooled there.
  static void recycle(Block* b) {
    auto* pool = pool_for(b->cap);
    if (!pool) {
      std::free(b);
      return;
    }
    pool->push_back(b);
    if (pool->size() < kPoolMax) return;
    Shared& sh = shared();
    std::lock_guard<std::mutex> g(sh.mu);
    auto& dst = b->cap == kChunk ? sh.chunk : sh.batch;
    for (size_t i = 0; i < kMove; ++i) {
      Block* x = pool->back();
      pool->pop_back();
      if (dst.size() < 4 * kPoolMax) dst.push_back(x);
      else std::free(x);
    }
  }
};

}  // namespace ringnats
