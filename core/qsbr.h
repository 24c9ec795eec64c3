// Quiescent-state-based reclamation for the shared subscription index.
// Readers (any shard) hold no pointer into the index across loop turns, so
// memory retired by the writer is freed once every shard has passed a turn
// boundary after the retirement. A sleeping shard is offline and never blocks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

namespace ringnats {

class Qsbr {
 public:
  static constexpr int kMaxShards = 256;

  explicit Qsbr(int shards) : shards_(shards) {
    for (auto& s : slots_) s.epoch.store(kOffline, std::memory_order_relaxed);
  }

  // Called by shard `id` at the top of each loop turn, before any index read.
  // Store-load protocol with min_active(): the epoch store must be visible
  // before this shard's first index read, hence the full fence (a seq_cst
  // store alone does not order a later acquire load in the C++ model).
  void online(int id) {
    slots_[id].epoch.store(global_.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  // Called before the shard blocks in the kernel.
  void offline(int id) { slots_[id].epoch.store(kOffline, std::memory_order_release); }

  // Returns the epoch stamp to free an object at.
  uint64_t retire_stamp() { return global_.fetch_add(1, std::memory_order_seq_cst); }

  // The oldest epoch some online shard may still be reading under.
  // The writer's side of the same protocol: its unlinks and retire stamps
  // come before this fence, its reads of the readers' epochs after it.
  uint64_t min_active() const {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint64_t m = kOffline;
    for (int i = 0; i < shards_; ++i) {
      uint64_t e = slots_[i].epoch.load(std::memory_order_acquire);
      if (e < m) m = e;
    }
    return m;
  }

 private:
  static constexpr uint64_t kOffline = ~uint64_t{0};
  struct alignas(64) Slot { std::atomic<uint64_t> epoch; };
  int shards_;
  alignas(64) std::atomic<uint64_t> global_{1};
  Slot slots_[kMaxShards];
};

// One shard's pending frees. Only its owner touches it.
class RetireList {
 public:
  template <class T>
  void retire(Qsbr& q, T* p) {
    using U = std::remove_const_t<T>;
    if (p) items_.push_back({q.retire_stamp(), const_cast<U*>(p), [](void* x) { delete static_cast<U*>(x); }});
  }
  // Memory that is not a C++ object of its own (flexible arrays).
  void retire_raw(Qsbr& q, void* p, void (*del)(void*)) {
    if (p) items_.push_back({q.retire_stamp(), p, del});
  }
  // Items are stamped in increasing order, so everything safe to free is a
  // prefix: the cost is what is freed, not what is still waiting.
  void reclaim(const Qsbr& q) {
    if (head_ == items_.size()) return;
    uint64_t safe = q.min_active();
    while (head_ < items_.size() && items_[head_].stamp < safe) {
      items_[head_].del(items_[head_].ptr);
      ++head_;
    }
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
      if (items_.capacity() > 4096) items_.shrink_to_fit();
    } else if (head_ > 1024 && head_ * 2 > items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  bool empty() const { return head_ == items_.size(); }
  ~RetireList() {
    for (size_t i = head_; i < items_.size(); ++i) items_[i].del(items_[i].ptr);
  }

 private:
  struct Item { uint64_t stamp; void* ptr; void (*del)(void*); };
  std::vector<Item> items_;
  size_t head_ = 0;
};

}  // namespace ringnats
