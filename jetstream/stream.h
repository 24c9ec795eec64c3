// One stream on its owning shard: its configuration, its store, and what a
// publish to it does (the checks of nats' processJetStreamMsg, then the
// append and the limits). Only the owner shard's thread touches a Stream; it
// never publishes itself: it returns the ack for the caller to send once the
// store's writes are done.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>
#include <nlohmann/json.hpp>

#include "jetstream/stream_config.h"
#include "jetstream/store.h"

namespace ringnats::js {

class Stream {
 public:
  Stream(uint32_t account, StreamConfig cfg, std::unique_ptr<Store> store, int64_t created_wall_ns,
         std::string dir, std::string domain);

  const StreamConfig& config() const { return cfg_; }
  uint32_t account() const { return account_; }
  const std::string& dir() const { return dir_; }
  Store& store() { return *store_; }
  int64_t created_wall_ns() const { return created_ns_; }

  // A message published to one of its subjects. `ack` gets the reply body
  // (a PubAck or an error) when the publisher asked for one; false if the
  // message was not stored.
  bool on_publish(std::string_view subject, std::string_view hdr, std::string_view data, bool wants_ack,
                  int64_t now_wall_ns, std::string& ack);
  // Removes what max_age has expired (the shard's timer).
  void expire(int64_t now_wall_ns);
  // Whether some consumer would take a message on `subject` (interest
  // retention keeps only those).
  void set_interest(std::function<bool(std::string_view)> f) { interested_ = std::move(f); }
  // A config update (already checked): limits apply at once.
  void update(const StreamConfig& next, int64_t now_wall_ns);

  // The "state" object of a stream info.
  nlohmann::ordered_json state_json(int consumers, std::string_view subjects_filter = {}) const;
  // The "deleted" sequences, for a stream info that asks for them.
  void deleted(std::vector<uint64_t>& out) const;

 private:
  void enforce_limits(std::string_view subject);
  void remember_msg_id(std::string_view id, uint64_t seq, int64_t ts);
  void expire_msg_ids(int64_t now_wall_ns);
  std::string error_ack(Err e, std::string_view description) const;

  uint32_t account_;
  StreamConfig cfg_;
  std::unique_ptr<Store> store_;
  int64_t created_ns_;
  std::string dir_;
  std::string pub_ack_prefix_;  // {"stream":"X", "seq": as nats writes it
  std::string last_msg_id_;
  struct MsgId {
    uint64_t seq;
    int64_t ts;
  };
  absl::flat_hash_map<std::string, MsgId> msg_ids_;
  std::deque<std::pair<std::string, int64_t>> msg_id_order_;
  std::function<bool(std::string_view)> interested_;
};

// Go's time.Time JSON (RFC 3339 with trimmed nanoseconds, UTC "Z"); 0 is
// Go's zero time.
std::string go_time(int64_t wall_ns);

}  // namespace ringnats::js
