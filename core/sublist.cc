// Insert, remove and match for a subscription partition. A change touches
// one array slot (and, rarely, replaces one array or group vector), so
// readers on other shards never see a half-updated list and a SUB costs the
// same on a subject with one subscriber or a hundred thousand.
#include "core/sublist.h"

#include <new>

#include "core/subject_match.h"
#include "proto/subject.h"

namespace ringnats {

namespace {
// Splits a subject on '.'.
void tokenize(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return;
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}
}  // namespace

// --------------------------------------------------------------------------
// RefList

RefList::~RefList() {
  Arr* a = arr_.load(std::memory_order_relaxed);
  if (!a) return;
  uint32_t n = a->used.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < n; ++i) delete a->e[i].load(std::memory_order_relaxed);
  free_arr(a);
}

RefList::Arr* RefList::make_arr(uint32_t cap) {
  size_t bytes = sizeof(Arr) + (cap - 1) * sizeof(std::atomic<const SubRef*>);
  auto* a = static_cast<Arr*>(std::malloc(bytes));
  if (!a) throw std::bad_alloc();
  a->cap = cap;
  new (&a->used) std::atomic<uint32_t>(0);
  for (uint32_t i = 0; i < cap; ++i) new (&a->e[i]) std::atomic<const SubRef*>(nullptr);
  return a;
}

// Copies the live entries, in order, into a fresh array of `cap` slots and
// publishes it; readers holding the old one finish on it (retired, not freed).
void RefList::publish_copy(uint32_t cap, Qsbr& q, RetireList& rl) {
  Arr* old = arr_.load(std::memory_order_relaxed);
  Arr* a = make_arr(cap);
  uint32_t k = 0;
  if (old) {
    uint32_t n = old->used.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < n; ++i)
      if (const SubRef* r = old->e[i].load(std::memory_order_relaxed))
        a->e[k++].store(r, std::memory_order_relaxed);
  }
  a->used.store(k, std::memory_order_relaxed);
  holes_.clear();
  arr_.store(a, std::memory_order_release);
  if (old) rl.retire_raw(q, old, &free_arr);
}

uint32_t RefList::add(const SubRef* r, Qsbr& q, RetireList& rl) {
  if (announced(r->flags)) ++local_;
  if (r->flags & kSubRoute) routes_.store(routes_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  ++live_;
  Arr* a = arr_.load(std::memory_order_relaxed);
  if (!holes_.empty()) {
    uint32_t i = holes_.back();
    holes_.pop_back();
    a->e[i].store(r, std::memory_order_release);
    return i;
  }
  if (!a || a->used.load(std::memory_order_relaxed) == a->cap) {
    publish_copy(a ? a->cap * 2 : 2, q, rl);
    a = arr_.load(std::memory_order_relaxed);
  }
  uint32_t i = a->used.load(std::memory_order_relaxed);
  a->e[i].store(r, std::memory_order_release);
  a->used.store(i + 1, std::memory_order_release);
  return i;
}

void RefList::replace(uint32_t i, const SubRef* r, Qsbr& q, RetireList& rl) {
  Arr* a = arr_.load(std::memory_order_relaxed);
  const SubRef* old = a->e[i].load(std::memory_order_relaxed);
  a->e[i].store(r, std::memory_order_release);
  rl.retire(q, old);
}

// --------------------------------------------------------------------------
// GroupList

namespace {
GroupList::Vec* make_vec(uint32_t n) {
  size_t bytes = sizeof(GroupList::Vec) + (n ? n - 1 : 0) * sizeof(QueueGroup*);
  auto* v = static_cast<GroupList::Vec*>(std::malloc(bytes));
  if (!v) throw std::bad_alloc();
  v->n = n;
  return v;
}
void free_vec(void* v) { std::free(v); }
}  // namespace

GroupList::~GroupList() {
  Vec* v = v_.load(std::memory_order_relaxed);
  if (!v) return;
  for (uint32_t i = 0; i < v->n; ++i) delete v->g[i];
  free_vec(v);
}

QueueGroup* GroupList::find(std::string_view name) const {
  const Vec* v = v_.load(std::memory_order_relaxed);
  if (!v) return nullptr;
  for (uint32_t i = 0; i < v->n; ++i)
    if (v->g[i]->name == name) return v->g[i];
  return nullptr;
}

QueueGroup* GroupList::add(std::string_view name, Qsbr& q, RetireList& rl) {
  Vec* old = v_.load(std::memory_order_relaxed);
  uint32_t n = old ? old->n : 0;
  Vec* v = make_vec(n + 1);
  for (uint32_t i = 0; i < n; ++i) v->g[i] = old->g[i];
  auto* g = new QueueGroup;
  g->name.assign(name);
  v->g[n] = g;
  v_.store(v, std::memory_order_release);
  if (old) rl.retire_raw(q, old, &free_vec);
  return g;
}

void GroupList::erase(QueueGroup* g, Qsbr& q, RetireList& rl) {
  Vec* old = v_.load(std::memory_order_relaxed);
  Vec* v = nullptr;
  if (old->n > 1) {
    v = make_vec(old->n - 1);
    uint32_t k = 0;
    for (uint32_t i = 0; i < old->n; ++i)
      if (old->g[i] != g) v->g[k++] = old->g[i];
  }
  v_.store(v, std::memory_order_release);
  rl.retire_raw(q, old, &free_vec);
  rl.retire(q, g);
}

// --------------------------------------------------------------------------
// SubPartition

SubPartition::~SubPartition() = default;

InterestChange SubPartition::update_set(std::atomic<SubSet*>& slot, std::string_view subject,
                                        std::string_view queue, const SubRef& ref, bool add) {
  InterestChange ch;
  SubSet* set = slot.load(std::memory_order_relaxed);
  if (!set) {
    if (!add) return ch;
    set = new SubSet;
    std::vector<std::string_view> tok;
    tokenize(subject, tok);
    for (auto t : tok) set->kinds += t == "*" ? 'P' : t == ">" ? 'F' : 'L';
    slot.store(set, std::memory_order_release);
    bump_sets_gen();
  }
  QueueGroup* group = nullptr;
  RefList* list = &set->plain;
  if (!queue.empty()) {
    group = set->groups.find(queue);
    if (!group) {
      if (!add) return ch;
      group = set->groups.add(queue, q_, rl_);
    }
    list = &group->members;
  }
  ch.before = ch.after = list->local();
  auto it = where_.find(key_of(list, ref));
  if (add) {
    if (it != where_.end()) {
      // Already there: only a route re-announcing its queue weight changes it.
      if (ref.is_route() && list->at(it->second)->weight != ref.weight)
        list->replace(it->second, new SubRef(ref), q_, rl_);
      return ch;
    }
    where_.emplace(key_of(list, ref), list->add(new SubRef(ref), q_, rl_));
    ch.after = list->local();
    return ch;
  }
  if (it == where_.end()) return ch;
  uint32_t idx = it->second;
  where_.erase(it);
  list->remove(idx, q_, rl_, [&](const SubRef& r, uint32_t k) { where_[key_of(list, r)] = k; });
  ch.after = list->local();
  if (group && group->members.empty()) set->groups.erase(group, q_, rl_);
  if (set->empty()) {
    slot.store(nullptr, std::memory_order_release);
    bump_sets_gen();  // before the retire: whoever sees the old value may still use the set
    rl_.retire(q_, set);
  }
  return ch;
}

InterestChange SubPartition::insert(std::string_view subject, std::string_view queue,
                                    const SubRef& ref) {
  if (!proto::has_wildcard(subject)) {
    auto* node = literal_.find_or_insert(subject, hash_subject(subject), q_, rl_);
    return update_set(node->value, subject, queue, ref, true);
  }
  std::vector<std::string_view> tok;
  tokenize(subject, tok);
  size_t n = tok.size();
  TrieNode* node = &root_;
  bool fwc = tok[n - 1] == ">";
  size_t walk = fwc ? n - 1 : n;
  for (size_t i = 0; i < walk; ++i) {
    if (tok[i] == "*") {
      TrieNode* c = node->pwc.load(std::memory_order_relaxed);
      if (!c) {
        c = new TrieNode;
        node->pwc.store(c, std::memory_order_release);
      }
      node = c;
    } else {
      auto* cn = node->children.find_or_insert(tok[i], hash_subject(tok[i]), q_, rl_);
      TrieNode* c = cn->value.load(std::memory_order_relaxed);
      if (!c) {
        c = new TrieNode;
        cn->value.store(c, std::memory_order_release);
      }
      node = c;
    }
  }
  auto& slot = fwc ? node->fwc : node->here;
  // Counted before the set is published and the generation moves: a
  // publisher that sees the new generation must also see that patterns
  // exist, or it skips the trie and remembers a match without this set.
  if (slot.load(std::memory_order_relaxed) == nullptr) wild_count_.fetch_add(1, std::memory_order_release);
  return update_set(slot, subject, queue, ref, true);
}

InterestChange SubPartition::remove(std::string_view subject, std::string_view queue,
                                    const SubRef& ref) {
  if (!proto::has_wildcard(subject)) {
    uint64_t h = hash_subject(subject);
    auto* node = literal_.find_node(subject, h);
    if (!node) return {};
    InterestChange ch = update_set(node->value, subject, queue, ref, false);
    if (!node->value.load(std::memory_order_relaxed)) literal_.erase(subject, h, q_, rl_);
    return ch;
  }
  std::vector<std::string_view> tok;
  tokenize(subject, tok);
  size_t n = tok.size();
  bool fwc = tok[n - 1] == ">";
  size_t walk = fwc ? n - 1 : n;
  std::vector<std::pair<TrieNode*, std::string_view>> path;  // (parent, token)
  std::vector<bool> via_pwc;
  TrieNode* node = &root_;
  for (size_t i = 0; i < walk; ++i) {
    TrieNode* c;
    if (tok[i] == "*") {
      c = node->pwc.load(std::memory_order_relaxed);
    } else {
      auto* cn = node->children.find_node(tok[i], hash_subject(tok[i]));
      c = cn ? cn->value.load(std::memory_order_relaxed) : nullptr;
    }
    if (!c) return {};
    path.emplace_back(node, tok[i]);
    via_pwc.push_back(tok[i] == "*");
    node = c;
  }
  auto& slot = fwc ? node->fwc : node->here;
  if (!slot.load(std::memory_order_relaxed)) return {};
  InterestChange ch = update_set(slot, subject, queue, ref, false);
  if (!slot.load(std::memory_order_relaxed)) {
    wild_count_.fetch_sub(1, std::memory_order_release);
    prune(path, via_pwc);
  }
  return ch;
}

void SubPartition::prune(std::vector<std::pair<TrieNode*, std::string_view>>& path,
                         std::vector<bool>& via_pwc) {
  while (!path.empty()) {
    auto [parent, token] = path.back();
    bool pwc = via_pwc.back();
    TrieNode* child;
    if (pwc) {
      child = parent->pwc.load(std::memory_order_relaxed);
    } else {
      auto* cn = parent->children.find_node(token, hash_subject(token));
      child = cn ? cn->value.load(std::memory_order_relaxed) : nullptr;
    }
    if (!child || !child->empty()) return;
    if (pwc) {
      parent->pwc.store(nullptr, std::memory_order_release);
    } else {
      uint64_t h = hash_subject(token);
      parent->children.find_node(token, h)->value.store(nullptr, std::memory_order_release);
      parent->children.erase(token, h, q_, rl_);
    }
    rl_.retire(q_, child);
    path.pop_back();
    via_pwc.pop_back();
  }
}

const SubSet* SubPartition::find_pattern(std::string_view pattern) const {
  if (!has_wildcard_token(pattern)) return literal_.find(pattern, hash_subject(pattern));
  const TrieNode* node = &root_;
  size_t at = 0;
  while (node) {
    size_t dot = pattern.find('.', at);
    std::string_view tok = pattern.substr(at, dot == std::string_view::npos ? std::string_view::npos : dot - at);
    const bool last = dot == std::string_view::npos;
    if (tok == ">" && last) return node->fwc.load(std::memory_order_acquire);
    node = tok == "*" ? node->pwc.load(std::memory_order_acquire) : node->children.find(tok, hash_subject(tok));
    if (last) return node ? node->here.load(std::memory_order_acquire) : nullptr;
    at = dot + 1;
  }
  return nullptr;
}

void SubPartition::match_node(const TrieNode* node, const std::string_view* tok, size_t lvl,
                              size_t n, std::vector<const SubSet*>& out) {
  if (lvl == n) {
    if (const SubSet* s = node->here.load(std::memory_order_acquire)) out.push_back(s);
    return;
  }
  if (const SubSet* s = node->fwc.load(std::memory_order_acquire)) out.push_back(s);
  if (const TrieNode* c = node->children.find(tok[lvl], hash_subject(tok[lvl])))
    match_node(c, tok, lvl + 1, n, out);
  if (const TrieNode* c = node->pwc.load(std::memory_order_acquire))
    match_node(c, tok, lvl + 1, n, out);
}

}  // namespace ringnats
