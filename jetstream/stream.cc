// A stream's publish path and limits (see stream.h). The order of checks and
// the ack texts are nats-server 2.9's (stream.go, processJetStreamMsg): a
// client that looks at an error code or at the ack's bytes sees the same.
#include "jetstream/stream.h"

#include <ctime>

#include "jetstream/headers.h"

namespace ringnats::js {

using nlohmann::ordered_json;

std::string go_time(int64_t wall_ns) {
  if (wall_ns == 0) return "0001-01-01T00:00:00Z";
  time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  int64_t frac = wall_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  std::string out(buf, n);
  if (frac) {
    char f[16];
    snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs(f);
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  out += 'Z';
  return out;
}

Stream::Stream(uint32_t account, StreamConfig cfg, std::unique_ptr<Store> store, int64_t created_wall_ns,
               std::string dir, std::string domain)
    : account_(account), cfg_(std::move(cfg)), store_(std::move(store)), created_ns_(created_wall_ns),
      dir_(std::move(dir)) {
  ordered_json name = cfg_.name;
  pub_ack_prefix_ = "{\"stream\":" + go_json(name) + ", ";
  if (!domain.empty()) pub_ack_prefix_ += "\"domain\":" + go_json(ordered_json(domain)) + ", ";
  pub_ack_prefix_ += "\"seq\":";
}

std::string Stream::error_ack(Err e, std::string_view description) const {
  const ErrInfo& info = err_info(e);
  ordered_json j;
  j["error"] = {{"code", info.code}, {"err_code", info.err_code}, {"description", std::string(description)}};
  j["stream"] = cfg_.name;
  j["seq"] = 0;
  return go_json(j);
}

bool Stream::on_publish(std::string_view subject, std::string_view hdr, std::string_view data, bool wants_ack,
                        int64_t now, std::string& ack) {
  wants_ack = wants_ack && !cfg_.no_ack;
  auto fail = [&](Err e, std::string_view description) {
    if (wants_ack) ack = error_ack(e, description);
    return false;
  };
  if (cfg_.sealed) return fail(Err::StreamSealed, err_info(Err::StreamSealed).description);
  if (store_->state().last_seq >= UINT64_MAX - 1)  // a purge to the end of the sequence space
    return fail(Err::StreamStoreFailedF, err_description(Err::StreamStoreFailedF, {{"err", "sequence exhausted"}}));
  std::string_view msg_id;
  bool rollup_subject = false, rollup_all = false;
  const StoreState st = store_->state();
  if (!hdr.empty()) {
    if (std::string_view want = header_value(hdr, "Nats-Expected-Stream"); !want.empty() && want != cfg_.name)
      return fail(Err::StreamNotMatch, err_info(Err::StreamNotMatch).description);
    expire_msg_ids(now);
    msg_id = header_value(hdr, "Nats-Msg-Id");
    if (!msg_id.empty()) {
      auto it = msg_ids_.find(absl::string_view(msg_id.data(), msg_id.size()));
      if (it != msg_ids_.end()) {
        if (wants_ack) ack = pub_ack_prefix_ + std::to_string(it->second.seq) + ",\"duplicate\": true}";
        return false;
      }
    }
    if (std::string_view v = header_value(hdr, "Nats-Expected-Last-Subject-Sequence"); !v.empty()) {
      uint64_t want = static_cast<uint64_t>(header_int(v));
      StoredMsg last;
      uint64_t have = store_->load_last(subject, last) ? last.seq : 0;
      if (have != want)
        return fail(Err::StreamWrongLastSequence,
                    err_description(Err::StreamWrongLastSequence, {{"seq", std::to_string(have)}}));
    }
    if (std::string_view v = header_value(hdr, "Nats-Expected-Last-Sequence"); !v.empty()) {
      uint64_t want = static_cast<uint64_t>(header_int(v));
      if (want != st.last_seq)
        return fail(Err::StreamWrongLastSequence,
                    err_description(Err::StreamWrongLastSequence, {{"seq", std::to_string(st.last_seq)}}));
    }
    if (std::string_view want = header_value(hdr, "Nats-Expected-Last-Msg-Id"); !want.empty() && want != last_msg_id_)
      return fail(Err::StreamWrongLastMsgID, err_description(Err::StreamWrongLastMsgID, {{"id", last_msg_id_}}));
    if (std::string_view r = header_value(hdr, "Nats-Rollup"); !r.empty()) {
      if (!cfg_.allow_rollup || cfg_.deny_purge)
        return fail(Err::StreamRollupFailedF, err_description(Err::StreamRollupFailedF, {{"err", "rollup not permitted"}}));
      std::string lower(r);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "sub") rollup_subject = true;
      else if (lower == "all") rollup_all = true;
      else return false;  // nats drops it without an answer
    }
  }
  if (cfg_.max_msg_size >= 0 && static_cast<int64_t>(hdr.size() + data.size()) > cfg_.max_msg_size)
    return fail(Err::StreamMessageExceedsMaximum, err_info(Err::StreamMessageExceedsMaximum).description);
  if (hdr.size() > 65535)
    return fail(Err::StreamHeaderExceedsMaximum, err_info(Err::StreamHeaderExceedsMaximum).description);
  // Discard new: the store refuses what would go past a limit.
  if (cfg_.discard == Discard::New) {
    auto store_failed = [&](const char* why) {
      return fail(Err::StreamStoreFailedF, err_description(Err::StreamStoreFailedF, {{"err", why}}));
    };
    if (cfg_.max_msgs > 0 && st.msgs >= static_cast<uint64_t>(cfg_.max_msgs))
      return store_failed("maximum messages exceeded");
    // As nats: the raw message length against the stored bytes, so a
    // record's overhead can take the stream past max_bytes (then the
    // oldest go, as with discard old).
    if (cfg_.max_bytes > 0 && st.bytes + hdr.size() + data.size() >= static_cast<uint64_t>(cfg_.max_bytes))
      return store_failed("maximum bytes exceeded");
    if (cfg_.discard_new_per_subject && cfg_.max_msgs_per_subject > 0 &&
        store_->subject_msgs(subject) >= static_cast<uint64_t>(cfg_.max_msgs_per_subject))
      return store_failed("maximum messages per subject exceeded");
  }
  // Interest retention with nobody interested: the sequence moves on,
  // nothing is kept (nats' SkipMsg).
  uint64_t seq;
  const bool nobody = cfg_.retention == Retention::Interest && !(interested_ && interested_(subject));
  if (nobody) {
    seq = st.last_seq + 1;
    store_->skip_to(seq);
  } else {
    seq = store_->append(subject, hdr, data, now);
    if (seq == 0) return fail(Err::StreamStoreFailedF, err_description(Err::StreamStoreFailedF, {{"err", "store failed"}}));
  }
  last_msg_id_.assign(msg_id);
  if (!msg_id.empty()) remember_msg_id(msg_id, seq, now);
  if (!nobody) {
    if (rollup_subject) store_->purge(subject, 0, 1);
    else if (rollup_all) store_->purge({}, 0, 1);
    enforce_limits(subject);
  }
  if (wants_ack) {
    ack = pub_ack_prefix_;
    ack += std::to_string(seq);
    ack += '}';
  }
  return true;
}

void Stream::enforce_limits(std::string_view subject) {
  if (cfg_.max_msgs_per_subject > 0) {
    while (store_->subject_msgs(subject) > static_cast<uint64_t>(cfg_.max_msgs_per_subject))
      if (!store_->remove(store_->subject_first_seq(subject))) break;
  }
  for (;;) {
    StoreState st = store_->state();
    bool over = (cfg_.max_msgs > 0 && st.msgs > static_cast<uint64_t>(cfg_.max_msgs)) ||
                (cfg_.max_bytes > 0 && st.bytes > static_cast<uint64_t>(cfg_.max_bytes));
    if (!over || st.msgs == 0) break;
    StoredMsg first;
    if (!store_->load_next({}, st.first_seq, first) || !store_->remove(first.seq)) break;
  }
}

void Stream::expire(int64_t now) {
  expire_msg_ids(now);
  if (cfg_.max_age_ns <= 0) return;
  for (;;) {
    StoreState st = store_->state();
    if (st.msgs == 0) return;
    StoredMsg first;
    if (!store_->load_next({}, st.first_seq, first)) return;
    if (now - first.ts_ns < cfg_.max_age_ns) return;
    if (!store_->remove(first.seq)) return;
  }
}

void Stream::update(const StreamConfig& next, int64_t now) {
  cfg_ = next;
  enforce_limits({});
  if (cfg_.max_msgs_per_subject > 0) {
    std::vector<std::string> subjects;
    store_->for_each_subject({}, [&](std::string_view s, uint64_t n) {
      if (n > static_cast<uint64_t>(cfg_.max_msgs_per_subject)) subjects.emplace_back(s);
    });
    for (const std::string& s : subjects) enforce_limits(s);
  }
  expire(now);
}

void Stream::remember_msg_id(std::string_view id, uint64_t seq, int64_t ts) {
  msg_ids_[std::string(id)] = MsgId{seq, ts};
  msg_id_order_.emplace_back(std::string(id), ts);
}

void Stream::expire_msg_ids(int64_t now) {
  while (!msg_id_order_.empty() && now - msg_id_order_.front().second >= cfg_.duplicate_window_ns) {
    auto it = msg_ids_.find(msg_id_order_.front().first);
    if (it != msg_ids_.end() && it->second.ts == msg_id_order_.front().second) msg_ids_.erase(it);
    msg_id_order_.pop_front();
  }
}

ordered_json Stream::state_json(int consumers, std::string_view subjects_filter) const {
  StoreState st = store_->state();
  ordered_json j;
  j["messages"] = st.msgs;
  j["bytes"] = st.bytes;
  j["first_seq"] = st.first_seq;
  j["first_ts"] = go_time(st.first_ts_ns);
  j["last_seq"] = st.last_seq;
  j["last_ts"] = go_time(st.last_ts_ns);
  if (st.num_subjects) j["num_subjects"] = st.num_subjects;
  if (!subjects_filter.empty()) {
    ordered_json subs = ordered_json::object();
    store_->for_each_subject(subjects_filter == ">" ? std::string_view() : subjects_filter,
                             [&](std::string_view s, uint64_t n) { subs[std::string(s)] = n; });
    if (!subs.empty()) j["subjects"] = subs;
  }
  if (st.num_deleted) j["num_deleted"] = st.num_deleted;
  j["consumer_count"] = consumers;
  return j;
}

void Stream::deleted(std::vector<uint64_t>& out) const {
  // Bounded: gaps can span most of the sequence space (a purge to a far
  // sequence); nats' list has the same purpose and no more use past that.
  constexpr size_t kMaxDeleted = 100000;
  StoreState st = store_->state();
  StoredMsg m;
  uint64_t expect = st.first_seq;
  while (expect <= st.last_seq && out.size() < kMaxDeleted && store_->load_next({}, expect, m)) {
    for (uint64_t s = expect; s < m.seq && out.size() < kMaxDeleted; ++s) out.push_back(s);
    expect = m.seq + 1;
  }
}

}  // namespace ringnats::js
