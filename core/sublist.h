// One partition of the subscription index. Literal subjects live in a hash
// map, wildcard patterns in a token trie. Only the owning shard writes; every
// shard matches against it without locks (values are immutable SubSets
// swapped atomically and retired through QSBR).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/qsbr.h"
#include "core/rcu_map.h"

namespace ringnats {

enum SubFlags : uint8_t {
  kSubHeaders = 1,  // the subscriber negotiated headers
  kSubNoEcho = 2,   // the subscriber's connection said echo:false
  kSubRoute = 4,    // interest of a route peer, not a local client
};

// Who to deliver to. Resolved on the owning shard by (slot, gen), so a stale
// reference after UNSUB or close is simply dropped there.
struct SubRef {
  uint64_t cid = 0;     // connection id (echo suppression)
  uint32_t slot = 0;    // subscription slot (routes: connection slot)
  uint32_t gen = 0;
  uint16_t shard = 0;
  uint8_t flags = 0;
  uint32_t weight = 1;  // route queue weight
  std::string sid;      // local subscriptions: the client's sid
  bool same(const SubRef& o) const { return shard == o.shard && slot == o.slot && gen == o.gen; }
};

struct QueueGroup {
  std::string name;
  std::vector<SubRef> members;
};

// Immutable once published.
struct SubSet {
  std::vector<SubRef> plain;
  std::vector<QueueGroup> groups;
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

  size_t literal_subjects() const { return literal_.size(); }
  size_t wildcard_patterns() const { return wild_count_.load(std::memory_order_relaxed); }

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

  static void match_node(const TrieNode* node, const std::string_view* tok, size_t lvl, size_t n,
                         std::vector<const SubSet*>& out);
  // Replace *slot with a modified copy; returns the interest change.
  InterestChange update_set(std::atomic<SubSet*>& slot, std::string_view subject,
                            std::string_view queue, const SubRef& ref, bool add);
  void prune(std::vector<std::pair<TrieNode*, std::string_view>>& path,
             std::vector<bool>& via_pwc);

  Qsbr& q_;
  RetireList& rl_;
  RcuMap<SubSet> literal_;
  TrieNode root_;
  std::atomic<size_t> wild_count_{0};
};

}  // namespace ringnats
