// The in-memory index both stores keep: sequence -> entry (the message
// itself for the memory store, where it lives on disk for the file store),
// per-subject counts with first/last sequence, and the stream's counters.
// Filters, load_next/load_last and purge planning are written once here.
//
// Owned by one store on one shard; nothing locks. Per-subject first/last are
// fixed lazily (as nats-server does): removing a subject's first message
// leaves a lower bound and a stale mark, the next query scans forward once.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jetstream/store.h"
#include "proto/subject.h"

namespace ringnats::js {

struct SubjState {
  uint64_t msgs = 0;
  uint64_t first = 0, last = 0;  // exact unless the stale flag says lower/upper bound
  bool first_stale = false, last_stale = false;
  uint64_t match_gen = 0;        // memo of one wildcard query's answer
  bool match = false;
};

struct StrHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using SubjMap = std::unordered_map<std::string, SubjState, StrHash, std::equal_to<>>;
// Nodes of an unordered_map never move, so entries point at their subject.
using SubjRef = SubjMap::value_type*;

inline bool filter_is_all(std::string_view f) { return f.empty() || f == ">"; }

// What a purge request removes, decided before anything is touched.
struct PurgePlan {
  bool everything = false;   // drop all; first_seq = last_seq + 1
  uint64_t new_last = 0;     // with everything: a compact past the end moves last_seq here
  std::vector<uint64_t> seqs;  // otherwise: these, ascending
  uint64_t floor = 0;        // > 0: `seqs` is every message <= floor (no filter)
};

// E must have: SubjRef subj; int64_t ts; uint64_t bytes.
template <class E>
class MsgIndex {
 public:
  using Map = std::map<uint64_t, E>;
  using CIt = typename Map::const_iterator;

  Map msgs;
  mutable SubjMap subjects;
  uint64_t first = 0, last = 0, bytes = 0;
  int64_t last_ts = 0;

  SubjRef intern(std::string_view s) {
    auto it = subjects.find(s);
    if (it == subjects.end()) it = subjects.emplace(std::string(s), SubjState{}).first;
    return &*it;
  }

  // `seq` must be above every sequence held.
  E& add(uint64_t seq, E e) {
    SubjState& ss = e.subj->second;
    if (ss.msgs == 0) {
      ss.first = seq;
      ss.first_stale = false;
    }
    ss.last = seq;
    ss.last_stale = false;
    ++ss.msgs;
    if (msgs.empty()) first = seq;
    if (seq > last) last = seq;
    bytes += e.bytes;
    return msgs.emplace_hint(msgs.end(), seq, std::move(e))->second;
  }

  // Removes one entry and returns it (its subj no longer valid to follow).
  E take(typename Map::iterator it) {
    uint64_t seq = it->first;
    E e = std::move(it->second);
    msgs.erase(it);
    bytes -= e.bytes;
    SubjState& ss = e.subj->second;
    if (--ss.msgs == 0) {
      subjects.erase(subjects.find(std::string_view(e.subj->first)));
    } else {
      if (seq == ss.first) { ss.first = seq + 1; ss.first_stale = true; }
      if (seq == ss.last) { ss.last = seq - 1; ss.last_stale = true; }
    }
    e.subj = nullptr;
    if (seq == first) first = msgs.empty() ? last + 1 : msgs.begin()->first;
    return e;
  }

  void clear_all() {
    msgs.clear();
    subjects.clear();
    bytes = 0;
    fix_first();
  }

  // After recovery or a purge: first follows the oldest entry (0 and 0
  // while nothing was ever stored).
  void fix_first() { first = !msgs.empty() ? msgs.begin()->first : last ? last + 1 : 0; }

  void skip_to(uint64_t seq) {
    if (seq <= last) return;
    last = seq;
    if (msgs.empty()) first = seq + 1;
  }

  StoreState state() const {
    StoreState s;
    s.msgs = msgs.size();
    s.bytes = bytes;
    s.first_seq = first;
    s.last_seq = last;
    s.first_ts_ns = msgs.empty() ? 0 : msgs.begin()->second.ts;
    s.last_ts_ns = last_ts;
    s.num_deleted = msgs.empty() ? 0 : (last - first + 1) - msgs.size();
    s.num_subjects = subjects.size();
    return s;
  }

  uint64_t subj_first(SubjRef r) const {
    SubjState& ss = r->second;
    if (ss.first_stale) {
      for (auto it = msgs.lower_bound(ss.first); it != msgs.end(); ++it) {
        if (it->second.subj == r) { ss.first = it->first; break; }
      }
      ss.first_stale = false;
    }
    return ss.first;
  }

  uint64_t subj_last(SubjRef r) const {
    SubjState& ss = r->second;
    if (ss.last_stale) {
      auto it = msgs.upper_bound(ss.last);
      while (it != msgs.begin()) {
        --it;
        if (it->second.subj == r) { ss.last = it->first; break; }
      }
      ss.last_stale = false;
    }
    return ss.last;
  }

  SubjRef find_subject(std::string_view s) const {
    auto it = subjects.find(s);
    return it == subjects.end() ? nullptr : &*it;
  }

  // A matcher for one query: literal filters compare nodes, wildcard ones
  // run subject_matches once per distinct subject.
  class Matcher {
   public:
    Matcher(const MsgIndex& ix, std::string_view filter) : filter_(filter) {
      if (filter_is_all(filter)) {
        kind_ = kAll;
      } else if (!proto::has_wildcard(filter)) {
        kind_ = kLiteral;
        ref_ = ix.find_subject(filter);
      } else {
        kind_ = kWild;
        gen_ = ++ix.match_gen_;
      }
    }
    bool operator()(SubjRef r) const {
      switch (kind_) {
        case kAll: return true;
        case kLiteral: return r == ref_;
        default: {
          SubjState& ss = r->second;
          if (ss.match_gen != gen_) {
            ss.match_gen = gen_;
            ss.match = proto::subject_matches(filter_, r->first);
          }
          return ss.match;
        }
      }
    }
    bool literal() const { return kind_ == kLiteral; }
    bool all() const { return kind_ == kAll; }
    SubjRef ref() const { return ref_; }

   private:
    enum Kind { kAll, kLiteral, kWild } kind_;
    std::string_view filter_;
    SubjRef ref_ = nullptr;
    uint64_t gen_ = 0;
  };

  CIt next_match(std::string_view filter, uint64_t start) const {
    Matcher m(*this, filter);
    if (m.all()) return msgs.lower_bound(start);
    if (m.literal()) {
      if (!m.ref()) return msgs.end();
      uint64_t f = subj_first(m.ref());
      if (start < f) start = f;
      if (start > subj_last(m.ref())) return msgs.end();
    }
    for (auto it = msgs.lower_bound(start); it != msgs.end(); ++it)
      if (m(it->second.subj)) return it;
    return msgs.end();
  }

  CIt last_match(std::string_view filter) const {
    Matcher m(*this, filter);
    if (msgs.empty()) return msgs.end();
    if (m.all()) return std::prev(msgs.end());
    if (m.literal()) return m.ref() ? msgs.find(subj_last(m.ref())) : msgs.end();
    if (subjects.size() < msgs.size()) {  // fewer subjects than messages: ask each
      uint64_t best = 0;
      for (auto& kv : subjects)
        if (m(&kv)) best = std::max(best, subj_last(&kv));
      return best ? msgs.find(best) : msgs.end();
    }
    auto it = msgs.end();
    while (it != msgs.begin()) {
      --it;
      if (m(it->second.subj)) return it;
    }
    return msgs.end();
  }

  void for_each_subject(std::string_view filter,
                        const std::function<void(std::string_view, uint64_t)>& fn) const {
    Matcher m(*this, filter);
    if (m.literal()) {
      if (m.ref()) fn(m.ref()->first, m.ref()->second.msgs);
      return;
    }
    for (auto& kv : subjects)
      if (m(&kv)) fn(kv.first, kv.second.msgs);
  }

  uint64_t subject_msgs(std::string_view s) const {
    SubjRef r = find_subject(s);
    return r ? r->second.msgs : 0;
  }
  uint64_t subject_first_seq(std::string_view s) const {
    SubjRef r = find_subject(s);
    return r ? subj_first(r) : 0;
  }

  // nats' purge request. `up_to` <= 1 means no bound (nats ignores 1 too).
  PurgePlan plan_purge(std::string_view filter, uint64_t up_to, uint64_t keep) const {
    PurgePlan p;
    if (up_to == 1) up_to = 0;
    Matcher m(*this, filter);
    if (m.all() && keep == 0) {
      if (up_to == 0 || up_to > last) {
        p.everything = true;
        if (up_to > last + 1) p.new_last = up_to - 1;
        return p;
      }
      for (auto it = msgs.begin(); it != msgs.end() && it->first < up_to; ++it) p.seqs.push_back(it->first);
      if (!p.seqs.empty()) p.floor = up_to - 1;
      return p;
    }
    if (m.all()) {  // keep the newest `keep`
      if (msgs.size() <= keep) return p;
      auto kept = msgs.end();
      std::advance(kept, -static_cast<long>(keep));
      uint64_t limit = kept->first;
      if (up_to && up_to < limit) limit = up_to;
      for (auto it = msgs.begin(); it != msgs.end() && it->first < limit; ++it) p.seqs.push_back(it->first);
      if (!p.seqs.empty()) p.floor = limit - 1;
      return p;
    }
    if (m.literal() && !m.ref()) return p;
    uint64_t start = m.literal() ? subj_first(m.ref()) : 0;
    for (auto it = msgs.lower_bound(start); it != msgs.end(); ++it)
      if (m(it->second.subj)) p.seqs.push_back(it->first);
    if (keep) {
      if (p.seqs.size() <= keep) { p.seqs.clear(); return p; }
      p.seqs.resize(p.seqs.size() - keep);
    }
    if (up_to) {
      size_t n = 0;
      while (n < p.seqs.size() && p.seqs[n] < up_to) ++n;
      p.seqs.resize(n);
    }
    return p;
  }

 private:
  mutable uint64_t match_gen_ = 0;
};

}  // namespace ringnats::js
