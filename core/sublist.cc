// Insert, remove and match for a subscription partition. Every change builds
// a new SubSet and swaps it in, so readers on other shards never see a
// half-updated list.
#include "core/sublist.h"

#include "proto/subject.h"

namespace ringnats {

namespace {
int local_count(const std::vector<SubRef>& v) {
  int n = 0;
  for (const auto& r : v) n += (r.flags & kSubRoute) ? 0 : 1;
  return n;
}

// Splits a subject on '.'; returns the number of tokens (capped at `cap`).
size_t tokenize(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out.size();
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}
}  // namespace

SubPartition::~SubPartition() = default;

InterestChange SubPartition::update_set(std::atomic<SubSet*>& slot, std::string_view subject,
                                        std::string_view queue, const SubRef& ref, bool add) {
  SubSet* old = slot.load(std::memory_order_relaxed);
  auto* next = old ? new SubSet(*old) : new SubSet;
  if (!old) {
    std::vector<std::string_view> tok;
    tokenize(subject, tok);
    for (auto t : tok) next->kinds += t == "*" ? 'P' : t == ">" ? 'F' : 'L';
  }
  InterestChange ch;
  if (queue.empty()) {
    auto& v = next->plain;
    ch.before = local_count(v);
    auto it = v.begin();
    while (it != v.end() && !it->same(ref)) ++it;
    if (add) {
      if (it == v.end()) v.push_back(ref);
    } else if (it != v.end()) {
      v.erase(it);
    }
    ch.after = local_count(v);
  } else {
    auto& gs = next->groups;
    auto g = gs.begin();
    while (g != gs.end() && g->name != queue) ++g;
    if (g == gs.end()) {
      if (!add) { delete next; return ch; }
      gs.push_back(QueueGroup{std::string(queue), {}});
      g = gs.end() - 1;
    }
    ch.before = local_count(g->members);
    auto it = g->members.begin();
    while (it != g->members.end() && !it->same(ref)) ++it;
    if (add) {
      if (it == g->members.end()) g->members.push_back(ref);
      else it->weight = ref.weight;  // a route re-announcing its queue weight
    } else if (it != g->members.end()) {
      g->members.erase(it);
    }
    ch.after = local_count(g->members);
    if (g->members.empty()) gs.erase(g);
  }
  if (next->empty()) {
    delete next;
    next = nullptr;
  }
  slot.store(next, std::memory_order_release);
  rl_.retire(q_, old);
  return ch;
}

InterestChange SubPartition::insert(std::string_view subject, std::string_view queue,
                                    const SubRef& ref) {
  if (!proto::has_wildcard(subject)) {
    auto* node = literal_.find_or_insert(subject, hash_subject(subject), q_, rl_);
    return update_set(node->value, subject, queue, ref, true);
  }
  std::vector<std::string_view> tok;
  size_t n = tokenize(subject, tok);
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
  bool was_empty = slot.load(std::memory_order_relaxed) == nullptr;
  InterestChange ch = update_set(slot, subject, queue, ref, true);
  if (was_empty && slot.load(std::memory_order_relaxed)) wild_count_.fetch_add(1, std::memory_order_release);
  return ch;
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
  size_t n = tokenize(subject, tok);
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
