// A consumer's configuration as the JetStream API carries it: decoded from
// a create request, defaulted and checked as nats-server 2.9 does
// (setConsumerConfigDefaults, checkConsumerCfg), written back in its order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jetstream/stream_config.h"

namespace ringnats::js {

enum class DeliverPolicy : uint8_t { All, Last, New, ByStartSequence, ByStartTime, LastPerSubject };
enum class AckPolicy : uint8_t { None, All, Explicit };
enum class ReplayPolicy : uint8_t { Instant, Original };

struct ConsumerConfig {
  std::string durable, name, description;
  DeliverPolicy deliver_policy = DeliverPolicy::All;
  uint64_t opt_start_seq = 0;
  int64_t opt_start_time_ns = 0;
  std::string opt_start_time;  // as the request wrote it (echoed back)
  AckPolicy ack_policy = AckPolicy::None;
  int64_t ack_wait_ns = 0;
  int64_t max_deliver = 0;
  std::vector<int64_t> backoff_ns;
  std::string filter_subject;
  ReplayPolicy replay_policy = ReplayPolicy::Instant;
  uint64_t rate_limit_bps = 0;
  std::string sample_freq;
  int64_t max_waiting = 0, max_ack_pending = 0;
  int64_t idle_heartbeat_ns = 0;
  bool flow_control = false, headers_only = false;
  int64_t max_batch = 0, max_expires_ns = 0, max_bytes = 0;
  std::string deliver_subject, deliver_group;
  int64_t inactive_threshold_ns = 0;
  int64_t replicas = 0;
  bool mem_storage = false, direct = false;

  bool push() const { return !deliver_subject.empty(); }
};

// {"stream_name": ..., "config": {...}}: the stream name and the config.
std::optional<ApiError> parse_consumer_request(std::string_view body, std::string& stream, ConsumerConfig& out);
// Defaults as nats fills them (`ephemeral`: no durable name).
void default_consumer_config(ConsumerConfig& c, bool ephemeral);
// The checks of checkConsumerCfg that do not need other consumers.
std::optional<ApiError> check_consumer_config(const ConsumerConfig& c, const StreamConfig& stream);
// An update of an existing consumer: what may change (nats' rules).
std::optional<ApiError> check_consumer_update(const ConsumerConfig& old, const ConsumerConfig& next);
nlohmann::ordered_json to_json(const ConsumerConfig& c);
// Go's time.Time text back to wall ns (RFC 3339); false if malformed.
bool parse_go_time(std::string_view text, int64_t& ns);

}  // namespace ringnats::js
