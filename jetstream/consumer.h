// One consumer of a stream, on the stream's owner shard: where it is in the
// stream, what is delivered and not yet acknowledged, the pull requests
// waiting for messages, and what it sends (deliveries, redeliveries, status
// messages, heartbeats, flow control) in nats-server 2.9's formats. It never
// publishes itself: it hands what to send to an Outbox, which the shard
// publishes outside any publish in progress.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "jetstream/consumer_config.h"
#include "jetstream/consumer_store.h"
#include "jetstream/store.h"

namespace ringnats::js {

class Stream;

class Outbox {
 public:
  virtual ~Outbox() = default;
  // A message to `subject`; subscribers see `shown` as its subject when
  // set. `hdr`: header bytes at the front of `payload`, -1 for none.
  virtual void send(std::string_view subject, std::string_view shown, std::string_view reply, int64_t hdr,
                    std::string_view payload) = 0;
  virtual bool has_interest(std::string_view subject) = 0;
};

class Consumer {
 public:
  Consumer(Stream& stream, std::string name, ConsumerConfig cfg, int64_t created_wall_ns, std::string dir);

  const std::string& name() const { return name_; }
  const ConsumerConfig& config() const { return cfg_; }
  int64_t created_wall_ns() const { return created_ns_; }
  const std::string& dir() const { return dir_; }  // empty: not persisted
  bool durable() const { return !cfg_.durable.empty(); }
  void set_config(const ConsumerConfig& c) { cfg_ = c; }

  // Where a new consumer starts (its deliver policy), or its saved state.
  void start_position();
  void restore(const ConsumerState& st);
  ConsumerState state() const;
  bool state_changed() const { return changed_; }
  void state_saved() { changed_ = false; }

  // The stream stored message `seq` on `subject`.
  void on_stored(uint64_t seq, std::string_view subject);
  // The stream lost messages other than by acks: a purge (recounts), one
  // message deleted, or everything below `first` (limits, max_age).
  void on_removed();
  void on_deleted(uint64_t seq, std::string_view subject);
  void on_first_moved(uint64_t first);

  // A pull request ($JS.API.CONSUMER.MSG.NEXT) answered to `reply`.
  void pull(std::string_view reply, std::string_view body, int64_t now, Outbox& out);
  // An ack to `ack_subject` ($JS.ACK...). Returns the stream sequences it
  // acknowledged for good (for work-queue and interest retention).
  void ack(std::string_view ack_subject, std::string_view body, std::string_view reply, int64_t now, Outbox& out,
           std::vector<uint64_t>& acked);
  // Anything published to the flow-control reply we sent.
  void flow_control_reply(std::string_view subject);

  // Delivers what may be delivered now, up to stream sequence `durable_last`.
  void pump(uint64_t durable_last, int64_t now, Outbox& out);
  // Redeliveries due, pull requests expired, heartbeats (the shard timer).
  void timer(int64_t now, Outbox& out);
  // An ephemeral consumer nobody has used for its inactive_threshold.
  bool expired(int64_t now, Outbox& out);
  // It is being deleted: waiting pull requests are told.
  void deleting(Outbox& out);

  // Has this consumer acknowledged (or will never need) stream seq `seq`?
  bool done_with(uint64_t seq) const;
  bool wants(std::string_view subject) const;
  bool wants_pump() const { return wants_pump_; }

  // ConsumerInfo (without "type").
  nlohmann::ordered_json info(int64_t now) const;

 private:
  struct Pending {
    uint64_t consumer_seq = 0;
    int64_t delivered_ns = 0;
    uint64_t deliveries = 1;
    int64_t redeliver_at = 0;
  };
  struct PullRequest {
    std::string reply;
    int64_t batch = 1, max_bytes = 0, expires_at = 0, heartbeat_ns = 0, next_heartbeat = 0;
    bool no_wait = false;
    int64_t delivered = 0, bytes = 0;
  };

  enum class Sent : uint8_t { Yes, Gone, TooBig };
  // Gone: the message is no longer there (or out of deliveries); TooBig: it
  // does not fit the pull request's max_bytes (the request ended).
  Sent deliver(uint64_t seq, bool redelivery, int64_t now, Outbox& out, PullRequest* req);
  // Removes `seq` from pending and moves the ack floor as nats does.
  void acked_one(uint64_t seq, std::vector<uint64_t>& acked);
  void update_ack_floor();  // after pending lost entries other than by acks
  int64_t ack_wait_for(uint64_t deliveries) const;
  uint64_t count_pending() const;
  void status(std::string_view subject, std::string_view status_line, Outbox& out,
              std::string_view extra_headers = {});
  void pull_timeout(PullRequest& r, Outbox& out, std::string_view line);

  Stream& stream_;
  std::string name_;
  ConsumerConfig cfg_;
  int64_t created_ns_;
  std::string dir_;

  uint64_t next_seq_ = 1;  // the next stream sequence to look at
  uint64_t delivered_cseq_ = 0, delivered_sseq_ = 0;
  uint64_t floor_cseq_ = 0, floor_sseq_ = 0;
  int64_t last_delivered_ns_ = 0, last_acked_ns_ = 0, last_active_ns_ = 0;
  uint64_t num_pending_ = 0;  // stream messages not yet delivered (matching the filter)
  std::map<uint64_t, Pending> pending_;  // by stream sequence
  std::set<uint64_t> redeliver_;         // due again, in stream order
  std::deque<uint64_t> last_per_subject_;  // the start of a last_per_subject consumer
  std::deque<PullRequest> waiting_;
  // Push flow control.
  uint64_t fc_bytes_ = 0;
  std::string fc_subject_;
  bool changed_ = false;
  bool wants_pump_ = true;
  uint32_t fc_counter_ = 0;
};

}  // namespace ringnats::js
