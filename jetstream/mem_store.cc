// The memory store: every message in the shared MsgIndex, header and
// payload in one string per message. Nothing to write, so the durability
// calls are no-ops.
#include <memory>
#include <string>

#include "jetstream/msg_index.h"
#include "jetstream/store.h"

namespace ringnats::js {

// nats-server 2.9 (memStoreMsgSize): subject + header + payload + 16 for
// sequence and timestamp.
uint64_t mem_msg_bytes(size_t subject, size_t hdr, size_t data) {
  return static_cast<uint64_t>(subject + hdr + data + 16);
}

namespace {

struct MemEntry {
  SubjRef subj = nullptr;
  int64_t ts = 0;
  uint64_t bytes = 0;
  uint32_t hdr_len = 0;
  std::string body;  // header then payload
};

class MemStore final : public Store {
 public:
  uint64_t append(std::string_view subject, std::string_view hdr, std::string_view data, int64_t ts_ns) override {
    uint64_t seq = ix_.last + 1;
    MemEntry e;
    e.subj = ix_.intern(subject);
    e.ts = ts_ns;
    e.bytes = mem_msg_bytes(subject.size(), hdr.size(), data.size());
    e.hdr_len = static_cast<uint32_t>(hdr.size());
    e.body.reserve(hdr.size() + data.size());
    e.body.append(hdr).append(data);
    ix_.add(seq, std::move(e));
    ix_.last_ts = ts_ns;
    return seq;
  }

  void skip_to(uint64_t seq) override { ix_.skip_to(seq); }

  bool load(uint64_t seq, StoredMsg& out) const override {
    auto it = ix_.msgs.find(seq);
    if (it == ix_.msgs.end()) return false;
    fill(it, out);
    return true;
  }
  bool load_next(std::string_view filter, uint64_t start, StoredMsg& out) const override {
    auto it = ix_.next_match(filter, start);
    if (it == ix_.msgs.end()) return false;
    fill(it, out);
    return true;
  }
  bool load_last(std::string_view filter, StoredMsg& out) const override {
    auto it = ix_.last_match(filter);
    if (it == ix_.msgs.end()) return false;
    fill(it, out);
    return true;
  }

  bool remove(uint64_t seq) override {
    auto it = ix_.msgs.find(seq);
    if (it == ix_.msgs.end()) return false;
    ix_.take(it);
    return true;
  }

  uint64_t purge(std::string_view filter, uint64_t up_to, uint64_t keep) override {
    PurgePlan p = ix_.plan_purge(filter, up_to, keep);
    if (p.everything) {
      uint64_t n = ix_.msgs.size();
      ix_.clear_all();
      if (p.new_last) ix_.skip_to(p.new_last);
      return n;
    }
    for (uint64_t s : p.seqs) ix_.take(ix_.msgs.find(s));
    return p.seqs.size();
  }

  StoreState state() const override { return ix_.state(); }
  uint64_t subject_msgs(std::string_view s) const override { return ix_.subject_msgs(s); }
  uint64_t subject_first_seq(std::string_view s) const override { return ix_.subject_first_seq(s); }
  void for_each_subject(std::string_view filter,
                        const std::function<void(std::string_view, uint64_t)>& fn) const override {
    ix_.for_each_subject(filter, fn);
  }

  void take_writes(std::vector<WriteOp>&) override {}
  void writes_done(bool) override {}
  bool flush_blocking() override { return true; }
  void sync() override {}
  void destroy() override { ix_.clear_all(); }

 private:
  static void fill(MsgIndex<MemEntry>::CIt it, StoredMsg& out) {
    const MemEntry& e = it->second;
    out.seq = it->first;
    out.ts_ns = e.ts;
    out.subject.assign(e.subj->first);
    out.hdr.assign(e.body, 0, e.hdr_len);
    out.data.assign(e.body, e.hdr_len, std::string::npos);
  }

  MsgIndex<MemEntry> ix_;
};

}  // namespace

std::unique_ptr<Store> make_memory_store() { return std::make_unique<MemStore>(); }

}  // namespace ringnats::js
