// String-keyed hash map with one writer and lock-free readers on any shard.
// Readers see either the old or the new state of a chain; the writer never
// mutates a node a reader may hold except its atomic value, and retires
// replaced nodes and tables through QSBR.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sys/random.h>

#include <chrono>
#include <cstring>

#include "core/qsbr.h"

namespace ringnats {

// Every publish hashes its subject at least once, so by hand and fast: the
// structure of wyhash (Go's runtime uses the same for its maps where it has
// no AES): 16 bytes per 64x64->128-bit multiply, folded, with keys drawn at
// random per process and the running state fed into every block, so a
// client cannot choose subjects that share a bucket or a partition (FNV-1a
// cost a multiply per byte; a plain multiply-xorshift chain had collisions
// for any seed). The same on every shard, never persisted.
struct SubjectHashKeys {
  uint64_t k[4];
  SubjectHashKeys() {
    if (getrandom(k, sizeof k, 0) != static_cast<ssize_t>(sizeof k)) {
      uint64_t t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
      for (uint64_t& x : k) x = t = (t ^ (t >> 31)) * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    }
    for (uint64_t& x : k) x |= 1;
  }
};
inline const SubjectHashKeys kSubjectHashKeys;

inline uint64_t hash_mum(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t hash_subject(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  const uint64_t* k = kSubjectHashKeys.k;
  auto load64 = [](const unsigned char* q) { uint64_t v; std::memcpy(&v, q, 8); return v; };
  auto load32 = [](const unsigned char* q) { uint32_t v; std::memcpy(&v, q, 4); return uint64_t(v); };
  uint64_t h = k[0] ^ n;
  while (n > 16) {
    h = hash_mum(load64(p) ^ k[1], load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a, b;
  if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    a = (uint64_t(p[0]) << 16) | (uint64_t(p[n >> 1]) << 8) | p[n - 1];
    b = 0;
  } else {
    a = b = 0;
  }
  h = hash_mum(a ^ k[1], b ^ h);
  return hash_mum(h ^ k[2], s.size() ^ k[3]);
}

template <class T>
class RcuMap {
 public:
  struct Node {
    uint64_t hash;
    std::string key;
    std::atomic<T*> value{nullptr};
    Node* next = nullptr;
  };

  RcuMap() : table_(make_table(8)) {}
  ~RcuMap() {
    Table* t = table_.load(std::memory_order_relaxed);
    for (size_t i = 0; i <= t->mask; ++i) {
      for (Node* n = t->buckets[i].load(std::memory_order_relaxed); n;) {
        Node* nx = n->next;
        delete n->value.load(std::memory_order_relaxed);
        delete n;
        n = nx;
      }
    }
    free_table(t);
  }
  RcuMap(const RcuMap&) = delete;
  RcuMap& operator=(const RcuMap&) = delete;

  // Reader, any shard.
  T* find(std::string_view key, uint64_t h) const {
    const Table* t = table_.load(std::memory_order_acquire);
    for (Node* n = t->buckets[h & t->mask].load(std::memory_order_acquire); n; n = n->next)
      if (n->hash == h && n->key == key) return n->value.load(std::memory_order_acquire);
    return nullptr;
  }

  // Writer only. Returns the node for `key`, creating it (value null) if needed.
  Node* find_or_insert(std::string_view key, uint64_t h, Qsbr& q, RetireList& rl) {
    if (Node* n = find_node(key, h)) return n;
    if (size_ + 1 > 2 * (table_.load(std::memory_order_relaxed)->mask + 1)) grow(q, rl);
    Table* t = table_.load(std::memory_order_relaxed);
    Node* n = new Node;
    n->hash = h;
    n->key.assign(key.data(), key.size());
    auto& head = t->buckets[h & t->mask];
    n->next = head.load(std::memory_order_relaxed);
    head.store(n, std::memory_order_release);
    ++size_;
    return n;
  }

  Node* find_node(std::string_view key, uint64_t h) const {
    const Table* t = table_.load(std::memory_order_relaxed);
    for (Node* n = t->buckets[h & t->mask].load(std::memory_order_relaxed); n; n = n->next)
      if (n->hash == h && n->key == key) return n;
    return nullptr;
  }

  // Writer only. Unlinks the node for `key`; its value must already be null
  // (retired by the caller). Nodes before it in the chain are copied, since a
  // reader may be walking them.
  void erase(std::string_view key, uint64_t h, Qsbr& q, RetireList& rl) {
    Table* t = table_.load(std::memory_order_relaxed);
    auto& head = t->buckets[h & t->mask];
    Node* first = head.load(std::memory_order_relaxed);
    Node* victim = first;
    while (victim && !(victim->hash == h && victim->key == key)) victim = victim->next;
    if (!victim) return;
    Node* rest = victim->next;
    // Rebuild the prefix [first, victim) in front of `rest`, keeping order.
    Node* new_head = rest;
    Node** link = &new_head;
    for (Node* n = first; n != victim; n = n->next) {
      Node* c = new Node;
      c->hash = n->hash;
      c->key = n->key;
      c->value.store(n->value.load(std::memory_order_relaxed), std::memory_order_relaxed);
      c->next = rest;
      *link = c;
      link = &c->next;
    }
    head.store(new_head, std::memory_order_release);
    for (Node* n = first; n != victim;) {
      Node* nx = n->next;
      rl.retire(q, n);  // keeps its value pointer for readers; nodes don't own values
      n = nx;
    }
    rl.retire(q, victim);
    --size_;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Writer only (or quiescent): visit every live node.
  template <class F>
  void for_each(F&& f) const {
    const Table* t = table_.load(std::memory_order_relaxed);
    for (size_t i = 0; i <= t->mask; ++i)
      for (Node* n = t->buckets[i].load(std::memory_order_relaxed); n; n = n->next) f(*n);
  }

 private:
  struct Table {
    size_t mask;
    std::atomic<Node*>* buckets;
  };
  static Table* make_table(size_t n) {
    auto* t = new Table;
    t->mask = n - 1;
    t->buckets = new std::atomic<Node*>[n];
    for (size_t i = 0; i < n; ++i) t->buckets[i].store(nullptr, std::memory_order_relaxed);
    return t;
  }
  static void free_table(Table* t) {
    delete[] t->buckets;
    delete t;
  }
  struct RetiredTable {
    Table* t;
    ~RetiredTable() { free_table(t); }
  };

  void grow(Qsbr& q, RetireList& rl) {
    Table* old = table_.load(std::memory_order_relaxed);
    Table* nt = make_table((old->mask + 1) * 4);
    for (size_t i = 0; i <= old->mask; ++i) {
      for (Node* n = old->buckets[i].load(std::memory_order_relaxed); n;) {
        Node* nx = n->next;
        Node* c = new Node;
        c->hash = n->hash;
        c->key = n->key;
        c->value.store(n->value.load(std::memory_order_relaxed), std::memory_order_relaxed);
        auto& head = nt->buckets[c->hash & nt->mask];
        c->next = head.load(std::memory_order_relaxed);
        head.store(c, std::memory_order_relaxed);
        n = nx;
      }
    }
    // Old nodes are still walked by in-flight readers: retire, don't free.
    auto* r = new RetiredTable{old};
    std::vector<Node*> olds;
    for (size_t i = 0; i <= old->mask; ++i)
      for (Node* n = old->buckets[i].load(std::memory_order_relaxed); n; n = n->next) olds.push_back(n);
    table_.store(nt, std::memory_order_release);
    rl.retire(q, r);
    for (Node* n : olds) rl.retire(q, n);
  }

  std::atomic<Table*> table_;
  size_t size_ = 0;
};

}  // namespace ringnats
