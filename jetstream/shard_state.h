// The JetStream state of one shard (see jetstream.h): its streams with the
// acks waiting on their writes, its internal connections, and the requests
// and answers of the turn. Only that shard's thread touches it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "jetstream/consumer.h"
#include "core/shard.h"
#include "jetstream/jetstream.h"

namespace ringnats::js {

struct JetStream::StreamSlot {
  std::unique_ptr<Stream> stream;
  uint32_t gen = 0;
  uint32_t index = 0;  // its place in ShardState::slots
  uint32_t nsubs = 0;
  std::vector<Outgoing> waiting;  // acks for appends not yet handed to writes
  std::vector<Outgoing> writing;  // acks for the batch being written
  int inflight = 0;
  bool write_failed = false;
  bool dirty = false;    // waiting to be flushed at the end of the turn
  bool changed = false;  // state changed since the registry saw it
  bool doomed = false;   // deleted; freed when its writes are back
  bool unsynced = false;
  std::vector<WriteOp> ops;
  // Consumers deliver only what is written (a crash then never takes back
  // a message a consumer saw): the last sequence whose write completed.
  uint64_t durable_last = 0, writing_last = 0;
  bool pump_queued = false;
  std::string tombstone;  // a deleted stream's directory, renamed until it is removed
  std::vector<std::unique_ptr<Consumer>> consumers;
  Consumer* consumer(std::string_view name) {
    for (auto& c : consumers)
      if (c->name() == name) return c.get();
    return nullptr;
  }
};

struct JetStream::ShardState {
  std::vector<Conn*> conns;  // by account, opened on first use
  std::vector<std::unique_ptr<StreamSlot>> slots;
  std::vector<uint32_t> free;
  absl::flat_hash_map<std::string, uint32_t> by_name;  // reg_key -> slot
  std::vector<ApiRequest> api;      // $JS.API requests (shard 0), handled at end_turn
  std::vector<ApiRequest> stream_ops;  // requests for streams this shard owns
  std::vector<uint32_t> dirty;
  std::vector<std::pair<uint32_t, Outgoing>> replies;      // (account, answer)
  // Sent once the subscriptions of `gate` (an account's internal connection)
  // are in: (gate, (publishing account, answer)).
  std::vector<std::pair<uint32_t, std::pair<uint32_t, Outgoing>>> after_subs;
  int64_t next_sync_ns = 0;
  int64_t next_state_save_ns = 0;
  std::vector<uint32_t> to_pump;  // streams whose consumers may deliver
  // Shard 0 in a cluster: requests sent on to another node whose answer
  // comes back here, by token (see relay_reply).
  struct Relay {
    uint32_t account = 0;
    std::string reply;
    int64_t expires_ns = 0;
  };
  absl::flat_hash_map<uint64_t, Relay> relays;
  uint64_t next_relay = 0;
  int64_t next_relay_sweep_ns = 0;
};

// Sends at once (the end of a turn, a write completion, a timer).
class DirectOutbox final : public Outbox {
 public:
  DirectOutbox(Shard& s, JetStream& js, uint32_t account) : s_(s), js_(js), account_(account) {}
  void send(std::string_view subject, std::string_view shown, std::string_view reply, int64_t hdr,
            std::string_view payload) override {
    s_.publish_internal_as(js_.internal_conn(s_, account_), subject, shown, reply, hdr, payload);
  }
  bool has_interest(std::string_view subject) override { return s_.has_interest(account_, subject); }

 private:
  Shard& s_;
  JetStream& js_;
  uint32_t account_;
};

// Queues for the end of the turn (inside a publish, where sending is not allowed).
class QueuedOutbox final : public Outbox {
 public:
  QueuedOutbox(Shard& s, JetStream::ShardState& st, uint32_t account) : s_(s), st_(st), account_(account) {}
  void send(std::string_view subject, std::string_view shown, std::string_view reply, int64_t hdr,
            std::string_view payload) override {
    st_.replies.emplace_back(account_, Outgoing{std::string(subject), std::string(payload), hdr, std::string(reply),
                                                std::string(shown)});
  }
  bool has_interest(std::string_view subject) override { return s_.has_interest(account_, subject); }

 private:
  Shard& s_;
  JetStream::ShardState& st_;
  uint32_t account_;
};

inline void mark_dirty(JetStream::ShardState& st, uint32_t index) {
  JetStream::StreamSlot& slot = *st.slots[index];
  slot.changed = true;
  if (slot.dirty) return;
  slot.dirty = true;
  st.dirty.push_back(index);
}

}  // namespace ringnats::js
