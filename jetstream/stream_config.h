// A stream's configuration as the JetStream API carries it: read from a
// request's JSON, checked and defaulted as nats-server 2.9's checkStreamCfg
// does, and written back in nats' field order (clients compare it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jetstream/api_errors.h"

namespace ringnats::js {

enum class Retention : uint8_t { Limits, Interest, WorkQueue };
enum class Discard : uint8_t { Old, New };
enum class Storage : uint8_t { File, Memory };

struct StreamConfig {
  std::string name, description;
  std::vector<std::string> subjects;
  Retention retention = Retention::Limits;
  int64_t max_consumers = 0, max_msgs = 0, max_bytes = 0, max_age_ns = 0, max_msgs_per_subject = 0;
  int64_t max_msg_size = 0;
  Discard discard = Discard::Old;
  Storage storage = Storage::File;
  int64_t replicas = 0;
  bool no_ack = false;
  int64_t duplicate_window_ns = 0;
  bool allow_direct = false, mirror_direct = false, discard_new_per_subject = false;
  bool sealed = false, deny_delete = false, deny_purge = false, allow_rollup = false;
  // Set in the request but not implemented here (mirror, sources,
  // republish, placement, template_owner): refused, never dropped.
  std::string unsupported;
};

// An API error: which one, and its description with placeholders filled.
struct ApiError {
  Err err;
  std::string description;
};
ApiError api_error(Err e, std::initializer_list<std::pair<std::string_view, std::string_view>> args = {});

// The request body as nats decodes it into a StreamConfig (unknown fields
// ignored, wrong types an error). Empty body: an error too.
std::optional<ApiError> parse_stream_config(std::string_view body, StreamConfig& out);
// Defaults and checks (checkStreamCfg). `out` is the config to keep.
std::optional<ApiError> check_stream_config(const StreamConfig& in, StreamConfig& out);
// Whether an update from `old` to `next` is allowed (nats' stream update rules).
std::optional<ApiError> check_stream_update(const StreamConfig& old, const StreamConfig& next);
nlohmann::ordered_json to_json(const StreamConfig& c);

// JSON text as Go's encoding/json writes it: compact, '<' '>' '&' and
// U+2028/U+2029 escaped, invalid UTF-8 replaced (never an exception).
std::string go_json(const nlohmann::ordered_json& j);

// Whether a stream or consumer name is valid: not empty, no '.', '*', '>'
// and no whitespace.
bool valid_name(std::string_view name);

}  // namespace ringnats::js
