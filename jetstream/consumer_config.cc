// Consumer configuration (see consumer_config.h): decoding as Go's
// encoding/json, defaults and checks in nats-server 2.9's order.
#include "jetstream/consumer_config.h"

#include <cctype>
#include <ctime>

#include "jetstream/json_get.h"
#include "proto/subject.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr size_t kMaxDescriptionLen = 4 * 1024;
constexpr int64_t kMsNs = 1'000'000;

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// Every subject `filter` can match lies within one of the stream's subjects
// (nats' validFilteredSubject).
bool filter_within(std::string_view filter, const std::vector<std::string>& subjects) {
  if (!proto::valid_subscribe_subject(filter)) return false;
  for (const std::string& s : subjects)
    if (proto::subject_is_subset(filter, s)) return true;
  return false;
}

}  // namespace

bool parse_go_time(std::string_view t, int64_t& ns) {
  // 2006-01-02T15:04:05[.999999999](Z|+hh:mm)
  if (t.size() < 20) return false;
  tm parts{};
  auto num = [&](size_t at, size_t n, int& out) {
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= t.size() || !std::isdigit(static_cast<unsigned char>(t[i]))) return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' || !num(8, 2, d) || (t[10] != 'T' && t[10] != 't') ||
      !num(11, 2, h) || t[13] != ':' || !num(14, 2, mi) || t[16] != ':' || !num(17, 2, s))
    return false;
  parts.tm_year = y - 1900;
  parts.tm_mon = mo - 1;
  parts.tm_mday = d;
  parts.tm_hour = h;
  parts.tm_min = mi;
  parts.tm_sec = s;
  size_t i = 19;
  int64_t frac = 0;
  if (i < t.size() && t[i] == '.') {
    int digits = 0;
    for (++i; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i, ++digits)
      if (digits < 9) frac = frac * 10 + (t[i] - '0');
    for (; digits < 9; ++digits) frac *= 10;
  }
  int64_t offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, oh) || t[i + 3] != ':' || !num(i + 4, 2, om)) return false;
    offset = (oh * 3600 + om * 60) * (t[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return false;
  }
  if (i != t.size()) return false;
  // Go's time.Time reaches further than int64 ns; such times are refused
  // here rather than wrapped.
  int64_t secs = static_cast<int64_t>(timegm(&parts)) - offset, scaled = 0;
  if (__builtin_mul_overflow(secs, int64_t(1'000'000'000), &scaled) || __builtin_add_overflow(scaled, frac, &ns))
    return false;
  return true;
}

std::optional<ApiError> parse_consumer_request(std::string_view body, std::string& stream, ConsumerConfig& c) {
  json j = parse_client_json(body);
  if (j.is_discarded() || !j.is_object()) return api_error(Err::InvalidJSON);
  bool ok = true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string k = lower(it.key());
    if (k == "stream_name") {
      if (it->is_string()) stream = it->get<std::string>();
      else if (!it->is_null()) ok = false;
    } else if (k == "config" && it->is_object()) {
      GoDecode d;
      for (auto ci = it->begin(); ci != it->end() && ok && d.ok; ++ci) {
        std::string ck = lower(ci.key());
        const json& v = ci.value();
        auto str = [&](std::string& out) { d.str(v, out); };
        auto boolean = [&](bool& out) { d.boolean(v, out); };
        auto i64 = [&](int64_t& out) { d.i64(v, out); };
        if (ck == "durable_name") str(c.durable);
        else if (ck == "name") str(c.name);
        else if (ck == "description") str(c.description);
        else if (ck == "deliver_policy")
          d.enumerated(v, c.deliver_policy,
                       {{"all", DeliverPolicy::All}, {"undefined", DeliverPolicy::All}, {"last", DeliverPolicy::Last},
                        {"new", DeliverPolicy::New}, {"by_start_sequence", DeliverPolicy::ByStartSequence},
                        {"by_start_time", DeliverPolicy::ByStartTime},
                        {"last_per_subject", DeliverPolicy::LastPerSubject}});
        else if (ck == "opt_start_seq") {
          if (v.is_number_unsigned()) c.opt_start_seq = v.get<uint64_t>();
          else if (!v.is_null()) ok = false;
        } else if (ck == "opt_start_time") {
          if (v.is_string()) {
            c.opt_start_time = v.get<std::string>();
            ok = parse_go_time(c.opt_start_time, c.opt_start_time_ns);
          } else if (!v.is_null()) {
            ok = false;
          }
        } else if (ck == "ack_policy") {
          d.enumerated(v, c.ack_policy,
                       {{"none", AckPolicy::None}, {"all", AckPolicy::All}, {"explicit", AckPolicy::Explicit}});
        }
        else if (ck == "ack_wait") i64(c.ack_wait_ns);
        else if (ck == "max_deliver") i64(c.max_deliver);
        else if (ck == "backoff") {
          if (v.is_array()) {
            for (const json& b : v) {
              if (!b.is_number_integer()) ok = false;
              else c.backoff_ns.push_back(b.get<int64_t>());
            }
          } else if (!v.is_null()) {
            ok = false;
          }
        } else if (ck == "filter_subject") str(c.filter_subject);
        else if (ck == "replay_policy")
          d.enumerated(v, c.replay_policy, {{"instant", ReplayPolicy::Instant}, {"original", ReplayPolicy::Original}});
        else if (ck == "rate_limit_bps") {
          if (v.is_number_unsigned()) c.rate_limit_bps = v.get<uint64_t>();
          else if (!v.is_null()) ok = false;
        } else if (ck == "sample_freq") str(c.sample_freq);
        else if (ck == "max_waiting") i64(c.max_waiting);
        else if (ck == "max_ack_pending") i64(c.max_ack_pending);
        else if (ck == "idle_heartbeat") i64(c.idle_heartbeat_ns);
        else if (ck == "flow_control") boolean(c.flow_control);
        else if (ck == "headers_only") boolean(c.headers_only);
        else if (ck == "max_batch") i64(c.max_batch);
        else if (ck == "max_expires") i64(c.max_expires_ns);
        else if (ck == "max_bytes") i64(c.max_bytes);
        else if (ck == "deliver_subject") str(c.deliver_subject);
        else if (ck == "deliver_group") str(c.deliver_group);
        else if (ck == "inactive_threshold") i64(c.inactive_threshold_ns);
        else if (ck == "num_replicas") i64(c.replicas);
        else if (ck == "mem_storage") boolean(c.mem_storage);
        else if (ck == "direct") boolean(c.direct);
      }
      ok = ok && d.ok;
    } else if (k == "config" && !it->is_null()) {
      ok = false;
    }
    if (!ok) return api_error(Err::InvalidJSON);
  }
  return std::nullopt;
}

void default_consumer_config(ConsumerConfig& c, bool ephemeral) {
  if (!c.push() && c.max_waiting == 0) c.max_waiting = 512;
  if (c.ack_policy != AckPolicy::None && c.ack_wait_ns == 0)
    c.ack_wait_ns = c.backoff_ns.empty() ? 30'000'000'000LL : c.backoff_ns[0];
  if (c.max_deliver == 0) c.max_deliver = -1;
  if (c.ack_policy != AckPolicy::None && c.max_ack_pending == 0) c.max_ack_pending = 1000;
  if (ephemeral && c.inactive_threshold_ns == 0) c.inactive_threshold_ns = 5'000'000'000LL;
}

std::optional<ApiError> check_consumer_config(const ConsumerConfig& c, const StreamConfig& s) {
  if (c.replicas > 0 && c.replicas > s.replicas) return api_error(Err::ConsumerReplicasExceedsStream);
  if (c.replicas < 0) return api_error(Err::ReplicasCountCannotBeNegative);
  if (!c.backoff_ns.empty() && c.max_deliver <= static_cast<int64_t>(c.backoff_ns.size()))
    return api_error(Err::ConsumerMaxDeliverBackoff);
  if (c.description.size() > kMaxDescriptionLen)
    return api_error(Err::ConsumerDescriptionTooLong, {{"max", std::to_string(kMaxDescriptionLen)}});
  if (c.push()) {
    if (c.deliver_subject.find('*') != std::string::npos || c.deliver_subject.find('>') != std::string::npos) {
      if (proto::has_wildcard(c.deliver_subject)) return api_error(Err::ConsumerDeliverToWildcards);
    }
    if (!proto::valid_subscribe_subject(c.deliver_subject)) return api_error(Err::ConsumerInvalidDeliverSubject);
    for (const std::string& subj : s.subjects)
      if (proto::subject_matches(subj, c.deliver_subject)) return api_error(Err::ConsumerDeliverCycle);
    if (c.max_waiting != 0) return api_error(Err::ConsumerPushMaxWaiting);
    if (c.max_ack_pending > 0 && c.ack_policy == AckPolicy::None)
      return api_error(Err::ConsumerMaxPendingAckPolicyRequired);
    if (c.idle_heartbeat_ns > 0 && c.idle_heartbeat_ns < 100 * kMsNs) return api_error(Err::ConsumerSmallHeartbeat);
  } else {
    if (c.ack_policy == AckPolicy::None && s.retention == Retention::WorkQueue)
      return api_error(Err::ConsumerPullRequiresAck);
    if (c.rate_limit_bps > 0) return api_error(Err::ConsumerPullWithRateLimit);
    if (c.max_waiting < 0) return api_error(Err::ConsumerMaxWaitingNegative);
    if (c.idle_heartbeat_ns > 0) return api_error(Err::ConsumerHBRequiresPush);
    if (c.flow_control) return api_error(Err::ConsumerFCRequiresPush);
    if (c.max_batch < 0) return api_error(Err::ConsumerMaxRequestBatchNegative);
    if (c.max_expires_ns != 0 && c.max_expires_ns < kMsNs) return api_error(Err::ConsumerMaxRequestExpiresToSmall);
  }
  if (c.direct) {
    if (!c.push()) return api_error(Err::ConsumerDirectRequiresPush);
    if (!c.durable.empty()) return api_error(Err::ConsumerDirectRequiresEphemeral);
  }
  if (!c.filter_subject.empty() && !filter_within(c.filter_subject, s.subjects))
    return api_error(Err::ConsumerFilterNotSubset);
  auto policy = [](std::string why) { return api_error(Err::ConsumerInvalidPolicy, {{"err", why}}); };
  auto bad_start = [&](const char* dp, const char* start) {
    return policy(std::string("consumer delivery policy is deliver ") + dp + ", but optional start " + start +
                  " is also set");
  };
  auto not_set = [&](const char* dp, const char* what) {
    return policy(std::string("consumer delivery policy is deliver ") + dp + ", but optional " + what + " is not set");
  };
  const bool has_time = !c.opt_start_time.empty();
  switch (c.deliver_policy) {
    case DeliverPolicy::All:
      if (c.opt_start_seq > 0) return bad_start("all", "sequence");
      if (has_time) return bad_start("all", "time");
      break;
    case DeliverPolicy::Last:
      if (c.opt_start_seq > 0) return bad_start("last", "sequence");
      if (has_time) return bad_start("last", "time");
      break;
    case DeliverPolicy::LastPerSubject:
      if (c.opt_start_seq > 0) return bad_start("last per subject", "sequence");
      if (has_time) return bad_start("last per subject", "time");
      if (c.filter_subject.empty()) return not_set("last per subject", "filter subject");
      break;
    case DeliverPolicy::New:
      if (c.opt_start_seq > 0) return bad_start("new", "sequence");
      if (has_time) return bad_start("new", "time");
      break;
    case DeliverPolicy::ByStartSequence:
      if (c.opt_start_seq == 0) return not_set("by start sequence", "start sequence");
      if (has_time) return bad_start("by start sequence", "time");
      break;
    case DeliverPolicy::ByStartTime:
      if (!has_time) return not_set("by start time", "start time");
      if (c.opt_start_seq != 0) return bad_start("by start time", "start sequence");
      break;
  }
  if (!c.sample_freq.empty()) {
    std::string f = c.sample_freq;
    if (!f.empty() && f.back() == '%') f.pop_back();
    bool digits = !f.empty();
    for (char ch : f) digits = digits && std::isdigit(static_cast<unsigned char>(ch));
    if (!digits)
      return api_error(Err::ConsumerInvalidSampling, {{"err", "strconv.Atoi: parsing \"" + f + "\": invalid syntax"}});
  }
  if (c.flow_control && c.idle_heartbeat_ns == 0) return api_error(Err::ConsumerWithFlowControlNeedsHeartbeats);
  if (!c.durable.empty() && !c.name.empty() && c.name != c.durable)
    return api_error(Err::ConsumerCreateDurableAndNameMismatch);
  if (s.retention == Retention::WorkQueue) {
    if (c.ack_policy != AckPolicy::Explicit) return api_error(Err::ConsumerWQRequiresExplicitAck);
    if (c.deliver_policy != DeliverPolicy::All) return api_error(Err::ConsumerWQConsumerNotDeliverAll);
  }
  return std::nullopt;
}

std::optional<ApiError> check_consumer_update(const ConsumerConfig& o, const ConsumerConfig& n) {
  auto bad = [](const char* why) { return api_error(Err::ConsumerCreate, {{"err", why}}); };
  if (o.deliver_policy != n.deliver_policy) return bad("deliver policy can not be updated");
  if (o.opt_start_seq != n.opt_start_seq) return bad("start sequence can not be updated");
  if (o.opt_start_time_ns != n.opt_start_time_ns) return bad("start time can not be updated");
  if (o.ack_policy != n.ack_policy) return bad("ack policy can not be updated");
  if (o.replay_policy != n.replay_policy) return bad("replay policy can not be updated");
  if (o.idle_heartbeat_ns != n.idle_heartbeat_ns) return bad("heart beats can not be updated");
  if (o.flow_control != n.flow_control) return bad("flow control can not be updated");
  if (o.max_waiting != n.max_waiting) return bad("max waiting can not be updated");
  if (!o.push() && n.push()) return bad("can not update pull consumer to push based");
  if (o.push() && !n.push()) return bad("can not update push consumer to pull based");
  return std::nullopt;
}

ordered_json to_json(const ConsumerConfig& c) {
  static const char* kDeliver[] = {"all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"};
  static const char* kAck[] = {"none", "all", "explicit"};
  ordered_json j;
  if (!c.durable.empty()) j["durable_name"] = c.durable;
  if (!c.name.empty()) j["name"] = c.name;
  if (!c.description.empty()) j["description"] = c.description;
  j["deliver_policy"] = kDeliver[static_cast<int>(c.deliver_policy)];
  if (c.opt_start_seq) j["opt_start_seq"] = c.opt_start_seq;
  if (!c.opt_start_time.empty()) j["opt_start_time"] = c.opt_start_time;
  j["ack_policy"] = kAck[static_cast<int>(c.ack_policy)];
  if (c.ack_wait_ns) j["ack_wait"] = c.ack_wait_ns;
  if (c.max_deliver) j["max_deliver"] = c.max_deliver;
  if (!c.backoff_ns.empty()) j["backoff"] = c.backoff_ns;
  if (!c.filter_subject.empty()) j["filter_subject"] = c.filter_subject;
  j["replay_policy"] = c.replay_policy == ReplayPolicy::Instant ? "instant" : "original";
  if (c.rate_limit_bps) j["rate_limit_bps"] = c.rate_limit_bps;
  if (!c.sample_freq.empty()) j["sample_freq"] = c.sample_freq;
  if (c.max_waiting) j["max_waiting"] = c.max_waiting;
  if (c.max_ack_pending) j["max_ack_pending"] = c.max_ack_pending;
  if (c.idle_heartbeat_ns) j["idle_heartbeat"] = c.idle_heartbeat_ns;
  if (c.flow_control) j["flow_control"] = true;
  if (c.headers_only) j["headers_only"] = true;
  if (c.max_batch) j["max_batch"] = c.max_batch;
  if (c.max_expires_ns) j["max_expires"] = c.max_expires_ns;
  if (c.max_bytes) j["max_bytes"] = c.max_bytes;
  if (!c.deliver_subject.empty()) j["deliver_subject"] = c.deliver_subject;
  if (!c.deliver_group.empty()) j["deliver_group"] = c.deliver_group;
  if (c.inactive_threshold_ns) j["inactive_threshold"] = c.inactive_threshold_ns;
  j["num_replicas"] = c.replicas;
  if (c.mem_storage) j["mem_storage"] = true;
  if (c.direct) j["direct"] = true;
  return j;
}

}  // namespace ringnats::js
