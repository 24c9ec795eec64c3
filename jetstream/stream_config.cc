// Stream configuration (see stream_config.h). Decoding follows Go's
// encoding/json as nats uses it: keys match case-insensitively, unknown keys
// are ignored, null leaves a field alone, a wrong type fails the request.
#include "jetstream/stream_config.h"

#include <algorithm>
#include <cctype>

#include "jetstream/json_get.h"
#include "proto/subject.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr size_t kMaxNameLen = 255;
constexpr size_t kMaxDescriptionLen = 4 * 1024;
constexpr int64_t kMaxReplicas = 5;
constexpr int64_t kDefaultDuplicateWindowNs = 120'000'000'000LL;
constexpr int64_t kMsNs = 1'000'000;

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}


}  // namespace

ApiError api_error(Err e, std::initializer_list<std::pair<std::string_view, std::string_view>> args) {
  return ApiError{e, err_description(e, args)};
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c == '.' || c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f')
      return false;
  return true;
}

json parse_client_json(std::string_view body) {
  // Nesting depth outside strings, as Go's decoder counts it.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > 10000) return json(json::value_t::discarded);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  // Invalid UTF-8 sequences -> U+FFFD, one per bad byte (Go's behaviour).
  std::string clean;
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  size_t n = body.size();
  bool dirty = false;
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len == 2) ok = c >= 0xC2;
    if (ok && len == 3) {
      unsigned cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok && len == 4) {
      unsigned cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      ok = cp >= 0x10000 && cp <= 0x10FFFF;
    }
    if (ok) {
      clean.append(body.substr(i, len));
      i += len;
    } else {
      clean += "\xEF\xBF\xBD";
      dirty = true;
      ++i;
    }
  }
  std::string_view text = dirty ? std::string_view(clean) : body;
  return json::parse(text.begin(), text.end(), nullptr, false);
}

std::optional<ApiError> parse_stream_config(std::string_view body, StreamConfig& out) {
  json j = parse_client_json(body);
  if (j.is_discarded() || !j.is_object()) return api_error(Err::InvalidJSON);
  GoDecode d;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string k = lower(it.key());
    const json& v = it.value();
    if (k == "name") d.str(v, out.name);
    else if (k == "description") d.str(v, out.description);
    else if (k == "subjects") {
      if (v.is_array()) {
        out.subjects.clear();
        for (const json& s : v) {
          if (!s.is_string()) {
            d.ok = false;
            break;
          }
          out.subjects.push_back(s.get<std::string>());
        }
      } else if (!v.is_null()) {
        d.ok = false;
      }
    } else if (k == "retention") {
      d.enumerated(v, out.retention, {{"limits", Retention::Limits}, {"interest", Retention::Interest},
                                      {"workqueue", Retention::WorkQueue}});
    } else if (k == "max_consumers") d.i64(v, out.max_consumers);
    else if (k == "max_msgs") d.i64(v, out.max_msgs);
    else if (k == "max_bytes") d.i64(v, out.max_bytes);
    else if (k == "max_age") d.i64(v, out.max_age_ns);
    else if (k == "max_msgs_per_subject") d.i64(v, out.max_msgs_per_subject);
    else if (k == "max_msg_size") d.i64(v, out.max_msg_size);
    else if (k == "discard") d.enumerated(v, out.discard, {{"old", Discard::Old}, {"new", Discard::New}});
    else if (k == "storage") d.enumerated(v, out.storage, {{"file", Storage::File}, {"memory", Storage::Memory}});
    else if (k == "num_replicas") d.i64(v, out.replicas);
    else if (k == "no_ack") d.boolean(v, out.no_ack);
    else if (k == "duplicate_window") d.i64(v, out.duplicate_window_ns);
    else if (k == "allow_direct") d.boolean(v, out.allow_direct);
    else if (k == "mirror_direct") d.boolean(v, out.mirror_direct);
    else if (k == "discard_new_per_subject") d.boolean(v, out.discard_new_per_subject);
    else if (k == "sealed") d.boolean(v, out.sealed);
    else if (k == "deny_delete") d.boolean(v, out.deny_delete);
    else if (k == "deny_purge") d.boolean(v, out.deny_purge);
    else if (k == "allow_rollup_hdrs") d.boolean(v, out.allow_rollup);
    else if (k == "mirror" || k == "sources" || k == "republish" || k == "template_owner" || k == "placement") {
      bool empty = v.is_null() || (v.is_array() && v.empty()) || (v.is_string() && v.get<std::string>().empty());
      if (!empty && out.unsupported.empty()) out.unsupported = k;
    }
    if (!d.ok) return api_error(Err::InvalidJSON);
  }
  // Go's int32 for max_msg_size.
  if (out.max_msg_size > INT32_MAX || out.max_msg_size < INT32_MIN) return api_error(Err::InvalidJSON);
  return std::nullopt;
}

std::optional<ApiError> check_stream_config(const StreamConfig& in, StreamConfig& c) {
  auto invalid = [](std::string why) { return api_error(Err::StreamInvalidConfigF, {{"err", why}}); };
  if (!valid_name(in.name)) return invalid("stream name is required and can not contain '.', '*', '>'");
  if (in.name.size() > kMaxNameLen)
    return invalid("stream name is too long, maximum allowed is " + std::to_string(kMaxNameLen));
  if (in.description.size() > kMaxDescriptionLen)
    return invalid("stream description is too long, maximum allowed is " + std::to_string(kMaxDescriptionLen));
  c = in;
  if (c.replicas == 0) c.replicas = 1;
  if (c.replicas > kMaxReplicas) return invalid("maximum replicas is " + std::to_string(kMaxReplicas));
  if (c.replicas < 0) return api_error(Err::ReplicasCountCannotBeNegative);
  if (c.max_msgs == 0) c.max_msgs = -1;
  if (c.max_msgs_per_subject == 0) c.max_msgs_per_subject = -1;
  if (c.max_bytes == 0) c.max_bytes = -1;
  if (c.max_msg_size == 0) c.max_msg_size = -1;
  if (c.max_consumers == 0) c.max_consumers = -1;
  if (c.duplicate_window_ns == 0) {
    c.duplicate_window_ns = c.max_age_ns != 0 && c.max_age_ns < kDefaultDuplicateWindowNs ? c.max_age_ns
                                                                                          : kDefaultDuplicateWindowNs;
  }
  if (c.max_age_ns > 0 && c.max_age_ns < 100 * kMsNs) return invalid("max age needs to be >= 100ms");
  if (c.duplicate_window_ns < 0) return invalid("duplicates window can not be negative");
  if (c.max_age_ns != 0 && c.duplicate_window_ns > c.max_age_ns)
    return invalid("duplicates window can not be larger then max age");
  if (c.duplicate_window_ns > 0 && c.duplicate_window_ns < 100 * kMsNs)
    return invalid("duplicates window needs to be >= 100ms");
  if (c.deny_purge && c.allow_rollup) return invalid("roll-ups require the purge permission");
  if (c.discard_new_per_subject) {
    if (c.discard != Discard::New) return invalid("discard new per subject requires discard new policy to be set");
    if (c.max_msgs_per_subject <= 0) return invalid("discard new per subject requires max msgs per subject > 0");
  }
  if (c.subjects.empty()) {
    c.subjects.push_back(c.name);
  } else {
    for (size_t i = 0; i < c.subjects.size(); ++i) {
      const std::string& s = c.subjects[i];
      if (std::find(c.subjects.begin(), c.subjects.begin() + static_cast<long>(i), s) != c.subjects.begin() + static_cast<long>(i))
        return invalid("duplicate subjects detected");
      // Every subject it matches is an API subject (nats' subset match; a
      // broader pattern such as ">" is allowed, as in 2.9).
      if (s.starts_with("$JS.API.") && s.size() > 8) return invalid("subjects overlap with jetstream api");
      if (!proto::valid_subscribe_subject(s) || s.find_first_of(" \t\r\n") != std::string::npos)
        return invalid("invalid subject");
    }
  }
  if (c.subjects.size() > 1) {
    for (const std::string& a : c.subjects)
      for (const std::string& b : c.subjects)
        if (a != b && proto::subjects_collide(a, b))
          return invalid("subject \"" + a + "\" overlaps with \"" + b + "\"");
  }
  if (c.replicas > 1) return api_error(Err::StreamReplicasNotSupported);
  if (!c.unsupported.empty())
    return invalid("\"" + c.unsupported + "\" is not supported by ringnats' JetStream yet");
  return std::nullopt;
}

std::optional<ApiError> check_stream_update(const StreamConfig& old, const StreamConfig& next) {
  auto invalid = [](std::string why) { return api_error(Err::StreamInvalidConfigF, {{"err", why}}); };
  if (old.name != next.name) return api_error(Err::StreamMismatch);
  if (old.sealed && !next.sealed) return invalid("stream configuration update can not unseal a sealed stream");
  if (old.deny_delete && !next.deny_delete)
    return invalid("stream configuration update can not cancel deny message deletes");
  if (old.deny_purge && !next.deny_purge) return invalid("stream configuration update can not cancel deny purge");
  if (old.retention != next.retention) return invalid("stream configuration update can not change retention policy");
  if (old.storage != next.storage) return invalid("stream configuration update can not change storage type");
  if (old.max_consumers != next.max_consumers)
    return invalid("stream configuration update can not change MaxConsumers");
  return std::nullopt;
}

std::string go_json(const ordered_json& j) {
  std::string raw = j.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size() + 16);
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xe2' && i + 2 < raw.size() && raw[i + 1] == '\x80' && (raw[i + 2] == '\xa8' || raw[i + 2] == '\xa9')) {
      out += raw[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

ordered_json to_json(const StreamConfig& c) {
  ordered_json j;
  j["name"] = c.name;
  if (!c.description.empty()) j["description"] = c.description;
  if (!c.subjects.empty()) j["subjects"] = c.subjects;
  j["retention"] = c.retention == Retention::Limits ? "limits" : c.retention == Retention::Interest ? "interest" : "workqueue";
  j["max_consumers"] = c.max_consumers;
  j["max_msgs"] = c.max_msgs;
  j["max_bytes"] = c.max_bytes;
  j["max_age"] = c.max_age_ns;
  j["max_msgs_per_subject"] = c.max_msgs_per_subject;
  if (c.max_msg_size != 0) j["max_msg_size"] = c.max_msg_size;
  j["discard"] = c.discard == Discard::Old ? "old" : "new";
  j["storage"] = c.storage == Storage::File ? "file" : "memory";
  j["num_replicas"] = c.replicas;
  if (c.no_ack) j["no_ack"] = true;
  if (c.duplicate_window_ns != 0) j["duplicate_window"] = c.duplicate_window_ns;
  j["allow_direct"] = c.allow_direct;
  j["mirror_direct"] = c.mirror_direct;
  if (c.discard_new_per_subject) j["discard_new_per_subject"] = true;
  j["sealed"] = c.sealed;
  j["deny_delete"] = c.deny_delete;
  j["deny_purge"] = c.deny_purge;
  j["allow_rollup_hdrs"] = c.allow_rollup;
  return j;
}

}  // namespace ringnats::js
