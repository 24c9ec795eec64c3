// One partition of the subscription index. Literal subjects live in a hash
// map, wildcard patterns in a token trie; each subject's subscribers are
// arrays of pointers to immutable entries. Only the owning shard writes;
// every shard matches against it without locks. A SUB or UNSUB is O(1)
// amortised whatever the audience (one store into an array slot, arrays grow
// and compact by doubling and halving), and a publish walks the live entries
// plus at most three holes per live one. Replaced memory is retired through
// QSBR, so a reader may use what it found until the end of its loop turn.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/qsbr.h"
#include "core/rcu_map.h"

namespace ringnats {

enum SubFlags : uint8_t {
  kSubHeaders = 1,  // the subscriber negotiated headers
  kSubNoEcho = 2,   // the subscriber's connection said echo:false
  kSubRoute = 4,    // interest of a route peer, not a local client
  kSubImport = 8,   // a client's shadow in an exporting account (see `import`)
  kSubService = 16,  // a service import's entry in the importer (`import` = its id)
  kSubResponse = 32, // the exporter's catch-all for response subjects
  kSubInternal = 64, // a server-side subscriber (JetStream): this server's own, never announced to routes
  kSubClusterWide = 128,  // ...unless this is set: announced to routes, and takes what routes forward
};
// Whether an entry is interest this server announces to its routes.
constexpr bool announced(uint8_t flags) {
  return !(flags & kSubRoute) && (!(flags & kSubInternal) || (flags & kSubClusterWide));
}
// The flags that make an entry a different kind of thing: two entries of
// different kinds are never the same entry, whatever their numbers.
constexpr uint8_t kSubKindMask = kSubRoute | kSubImport | kSubService | kSubResponse;

// Who to deliver to, resolved on the owning shard by (slot, gen), so a stale
// reference after UNSUB or close is dropped there. A client entry names a
// subscription slot; a route entry names the route's connection slot: the
// two never compare equal, whatever their numbers.
struct SubRef {
  uint64_t cid = 0;     // connection id (echo suppression)
  uint32_t slot = 0;    // subscription slot (routes: connection slot)
  uint32_t gen = 0;
  uint16_t shard = 0;
  uint8_t flags = 0;
  uint32_t weight = 1;  // route queue weight
  uint32_t import = 0;  // kSubImport: the AccountTable stream import id
  // A client subscriber's Conn::pressure: a publisher on another shard
  // stalls at once, as one on the subscriber's own shard does.
  const std::atomic<bool>* pressure = nullptr;
  std::string sid;      // local subscriptions: the client's sid
  bool is_route() const { return flags & kSubRoute; }
  uint8_t kind() const { return flags & kSubKindMask; }
  bool same(const SubRef& o) const {
    return shard == o.shard && slot == o.slot && gen == o.gen && kind() == o.kind();
  }
};

// The subscribers of one subject (or of one queue group of it). Readers walk
// it with a range-for; entries are published with release stores, removed by
// storing null (the entry itself is retired), and the array is replaced only
// to grow or compact.
class RefList {
 public:
  struct Arr {
    uint32_t cap;
    std::atomic<uint32_t> used;  // slots [0, used) were ever filled
    std::atomic<const SubRef*> e[1];
  };
  class iterator {
   public:
    iterator(const Arr* a, uint32_t i, uint32_t n) : a_(a), i_(i), n_(n) { skip(); }
    const SubRef& operator*() const { return *cur_; }
    const SubRef* operator->() const { return cur_; }
    iterator& operator++() {
      ++i_;
      skip();
      return *this;
    }
    // end() is a sentinel: one iteration walks the one array begin() loaded,
    // even if the writer publishes another meanwhile.
    bool operator!=(const iterator&) const { return i_ < n_; }

   private:
    void skip() {
      for (; i_ < n_; ++i_)
        if ((cur_ = a_->e[i_].load(std::memory_order_acquire))) return;
      i_ = n_;
    }
    const Arr* a_;
    uint32_t i_, n_;
    const SubRef* cur_ = nullptr;
  };

  RefList() = default;
  ~RefList();
  RefList(const RefList&) = delete;
  RefList& operator=(const RefList&) = delete;

  // Readers.
  iterator begin() const {
    const Arr* a = arr_.load(std::memory_order_acquire);
    return a ? iterator(a, 0, a->used.load(std::memory_order_acquire)) : iterator(nullptr, 0, 0);
  }
  iterator end() const { return iterator(nullptr, 0, 0); }

  // Readers too (a peer shard asking whether anyone is subscribed): the
  // array is unpublished when its last entry goes.
  bool empty() const { return arr_.load(std::memory_order_acquire) == nullptr; }
  // Readers: the entry in a slot drawn uniformly from 32 random bits, or
  // null when that slot is a hole (a queue pick without walking the list).
  const SubRef* at_random(uint32_t bits) const {
    const Arr* a = arr_.load(std::memory_order_acquire);
    if (!a) return nullptr;
    uint64_t n = a->used.load(std::memory_order_acquire);
    return a->e[(n * bits) >> 32].load(std::memory_order_acquire);
  }
  // Readers: whether a route peer's entry is among them (they weigh more
  // than one in a queue pick). A stale answer only picks as if the change
  // had not happened yet.
  bool has_routes() const { return routes_.load(std::memory_order_relaxed) != 0; }

  // Writer only.
  uint32_t live() const { return live_; }
  int local() const { return local_; }
  const SubRef* at(uint32_t i) const {
    return arr_.load(std::memory_order_relaxed)->e[i].load(std::memory_order_relaxed);
  }
  // Publishes `r` (owned from now on); returns its index.
  uint32_t add(const SubRef* r, Qsbr& q, RetireList& rl);
  // Replaces the entry at `i` (a route's new queue weight).
  void replace(uint32_t i, const SubRef* r, Qsbr& q, RetireList& rl);
  // Unpublishes and retires the entry at `i`. Returns true if the array was
  // compacted: indexes changed, and `moved(ref, new_index)` was called.
  template <class F>
  bool remove(uint32_t i, Qsbr& q, RetireList& rl, F&& moved);

 private:
  static Arr* make_arr(uint32_t cap);
  static void free_arr(void* a) { std::free(a); }
  void publish_copy(uint32_t cap, Qsbr& q, RetireList& rl);

  std::atomic<Arr*> arr_{nullptr};
  uint32_t live_ = 0;
  int local_ = 0;                // entries announced to routes (see announced())
  std::atomic<uint32_t> routes_{0};  // route entries (writer stores, readers peek)
  std::vector<uint32_t> holes_;  // null slots below `used`
};

struct QueueGroup {
  std::string name;
  RefList members;
};

// The queue groups of one subject: an immutable vector of stable groups,
// replaced when a group comes or goes (rare next to member changes).
class GroupList {
 public:
  struct Vec {
    uint32_t n;
    QueueGroup* g[1];
  };
  // What a reader walks: one load of the vector, so begin and end always
  // belong to the same one even if the writer replaces it meanwhile.
  struct Snapshot {
    const QueueGroup* const* b = nullptr;
    const QueueGroup* const* e = nullptr;
    const QueueGroup* const* begin() const { return b; }
    const QueueGroup* const* end() const { return e; }
  };
  ~GroupList();
  Snapshot snapshot() const {
    const Vec* v = vec();
    return v ? Snapshot{v->g, v->g + v->n} : Snapshot{};
  }
  bool empty() const { const Vec* v = vec(); return !v || v->n == 0; }

  // Writer only.
  QueueGroup* find(std::string_view name) const;
  QueueGroup* add(std::string_view name, Qsbr& q, RetireList& rl);
  void erase(QueueGroup* g, Qsbr& q, RetireList& rl);

 private:
  const Vec* vec() const { return v_.load(std::memory_order_acquire); }
  std::atomic<Vec*> v_{nullptr};
};

// Everything subscribed to one subject or pattern.
struct SubSet {
  RefList plain;
  GroupList groups;
  std::string kinds;  // per token of the pattern: 'L'iteral, 'P' (*), 'F' (>)
  bool empty() const { return plain.empty() && groups.empty(); }
};

// Local (non-route) subscription count for one key before and after a
// change: the cluster layer turns 0->1 and 1->0 into RS+/RS-.
struct InterestChange {
  int before = 0;
  int after = 0;
};

class SubPartition {
 public:
  SubPartition(Qsbr& q, RetireList& rl) : q_(q), rl_(rl) {}
  ~SubPartition();

  // Writer (owning shard) only.
  InterestChange insert(std::string_view subject, std::string_view queue, const SubRef& ref);
  InterestChange remove(std::string_view subject, std::string_view queue, const SubRef& ref);

  // Readers, any shard. Append the sets that match to `out`.
  void match_literal(std::string_view subject, uint64_t h, std::vector<const SubSet*>& out) const {
    if (const SubSet* s = literal_.find(subject, h)) out.push_back(s);
  }
  void match_wildcards(const std::string_view* tokens, size_t n, std::vector<const SubSet*>& out) const {
    if (wild_count_.load(std::memory_order_acquire) == 0) return;
    match_node(&root_, tokens, 0, n, out);
  }

  // Readers, any shard: the entries filed under exactly `pattern` (not the
  // ones that match it), or null.
  const SubSet* find_pattern(std::string_view pattern) const;

  bool has_wildcards() const { return wild_count_.load(std::memory_order_acquire) != 0; }
  // Readers: moves whenever a set is published or unpublished here (not
  // when a set's members change), after the set's own store: a reader that
  // sees the same value as before it matched may reuse what it matched then.
  uint64_t sets_gen() const { return sets_gen_.load(std::memory_order_acquire); }
  size_t literal_subjects() const { return literal_.size(); }
  size_t wildcard_patterns() const { return wild_count_.load(std::memory_order_relaxed); }
  size_t entries() const { return where_.size(); }

 private:
  struct TrieNode {
    std::atomic<SubSet*> here{nullptr};  // patterns ending at this node
    std::atomic<SubSet*> fwc{nullptr};   // patterns "<path>.>"
    std::atomic<TrieNode*> pwc{nullptr}; // "*" child
    RcuMap<TrieNode> children;
    ~TrieNode() {
      delete here.load(std::memory_order_relaxed);
      delete fwc.load(std::memory_order_relaxed);
      delete pwc.load(std::memory_order_relaxed);
    }
    bool empty() const {
      return !here.load(std::memory_order_relaxed) && !fwc.load(std::memory_order_relaxed) &&
             !pwc.load(std::memory_order_relaxed) && children.empty();
    }
  };
  // Where an entry sits, for O(1) removal: (list, identity) -> index.
  struct EntryKey {
    const RefList* list;
    uint32_t slot, gen;
    uint16_t shard;
    uint8_t kind;
    bool operator==(const EntryKey& o) const {
      return list == o.list && slot == o.slot && gen == o.gen && shard == o.shard && kind == o.kind;
    }
    template <class H>
    friend H AbslHashValue(H h, const EntryKey& k) {
      return H::combine(std::move(h), k.list, k.slot, k.gen, k.shard, k.kind);
    }
  };
  static EntryKey key_of(const RefList* l, const SubRef& r) {
    return EntryKey{l, r.slot, r.gen, r.shard, r.kind()};
  }

  static void match_node(const TrieNode* node, const std::string_view* tok, size_t lvl, size_t n,
                         std::vector<const SubSet*>& out);
  // Adds to or removes from the set in `slot` (created and published on
  // first use, unpublished and retired when it empties).
  InterestChange update_set(std::atomic<SubSet*>& slot, std::string_view subject,
                            std::string_view queue, const SubRef& ref, bool add);
  void prune(std::vector<std::pair<TrieNode*, std::string_view>>& path,
             std::vector<bool>& via_pwc);

  Qsbr& q_;
  RetireList& rl_;
  RcuMap<SubSet> literal_;
  TrieNode root_;
  std::atomic<size_t> wild_count_{0};
  std::atomic<uint64_t> sets_gen_{0};
  void bump_sets_gen() { sets_gen_.store(sets_gen_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  absl::flat_hash_map<EntryKey, uint32_t> where_;  // writer only
};

// ---------------------------------------------------------------------------

template <class F>
bool RefList::remove(uint32_t i, Qsbr& q, RetireList& rl, F&& moved) {
  Arr* a = arr_.load(std::memory_order_relaxed);
  const SubRef* r = a->e[i].load(std::memory_order_relaxed);
  a->e[i].store(nullptr, std::memory_order_release);
  if (announced(r->flags)) --local_;
  if (r->flags & kSubRoute) routes_.store(routes_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  --live_;
  rl.retire(q, r);
  holes_.push_back(i);
  if (live_ == 0) {
    arr_.store(nullptr, std::memory_order_release);
    rl.retire_raw(q, a, &free_arr);
    holes_.clear();
    holes_.shrink_to_fit();
    return false;
  }
  // Mostly holes: publish a compact copy so a publish never walks more
  // than about four slots per live subscriber.
  if (a->cap >= 16 && live_ * 4 <= a->cap) {
    publish_copy(a->cap / 2, q, rl);
    Arr* n = arr_.load(std::memory_order_relaxed);
    uint32_t nu = n->used.load(std::memory_order_relaxed);
    for (uint32_t k = 0; k < nu; ++k) moved(*n->e[k].load(std::memory_order_relaxed), k);
    return true;
  }
  return false;
}

}  // namespace ringnats
