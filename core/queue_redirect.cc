// Queue deliveries that arrive for a member that is no longer there. The
// publisher's shard picked the member from the index; if it unsubscribed,
// closed or reached its auto-unsubscribe max before the record arrived, the
// message is handed to another member of the same group here, so a queue
// message reaches one member as long as any is subscribed. Members on this
// shard come first (their state is known exactly here); another shard's
// member is picked only when none here can take it. The redirected message
// may arrive after later ones from the same publisher (only in that window).
//
// Another shard's view of its members lags (the index learns of a member's
// end through a post), so a redirect may land on a member that is gone too.
// The message therefore carries the shards it already visited and skips
// their members: each hop reaches a shard not yet tried, and a shard that
// has a member able to take it delivers there, so a member that stays
// subscribed is found within one hop per shard however stale the index is.
// Only when every shard was tried does it fall back to any member, at most
// kMaxHops hops in all.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/fanout.h"
#include "core/qsbr.h"
#include "core/server.h"
#include "core/sub_table.h"
#include "proto/parser.h"

namespace ringnats {

namespace {
constexpr uint8_t kMaxHops = 8;
static_assert(sizeof(QueueStash::visited) * 8 >= Qsbr::kMaxShards, "one visited bit per shard");

bool tried(const uint64_t* visited, int shard) {
  return visited[static_cast<unsigned>(shard) / 64] >> (static_cast<unsigned>(shard) % 64) & 1;
}

}  // namespace

// (declared in fanout.h)
bool parse_msg_line(std::string_view line, proto::MsgArgs& m) {
  std::array<std::string_view, 7> t;
  size_t n = proto::split_args(line, t);
  bool hmsg = n > 0 && t[0] == "HMSG";
  size_t fixed = hmsg ? 5 : 4;  // op subject sid [reply] [hdr] size
  if (n != fixed && n != fixed + 1) return false;
  m.op = hmsg ? proto::Op::Hpub : proto::Op::Pub;
  m.subject = t[1];
  m.reply = n == fixed + 1 ? t[3] : std::string_view();
  m.size_text = t[n - 1];
  m.size = proto::parse_size(m.size_text);
  if (hmsg) {
    m.hdr_text = t[n - 2];
    m.hdr = proto::parse_size(m.hdr_text);
  } else {
    m.hdr = -1;
    m.hdr_text = {};
  }
  return m.size >= 0 && (!hmsg || m.hdr >= 0);
}

void Fanout::redirect_queue(const Rec& r) {
  QueueStash qs;
  if (r.hops == UINT8_MAX || r.off < sizeof(qs)) return;
  const char* base = r.block->data;
  std::memcpy(&qs, base + r.off - sizeof(qs), sizeof(qs));
  size_t stash = sizeof(qs) + qs.group_len + qs.hdr_len;
  if (r.off < stash) return;
  std::string_view group(base + r.off - stash, qs.group_len);
  std::string_view headers(base + r.off - sizeof(qs) - qs.hdr_len, qs.hdr_len);
  std::string_view rec(base + r.off, r.len);
  size_t eol = rec.find("\r\n");
  if (eol == std::string_view::npos) return;
  proto::MsgArgs m;
  if (!parse_msg_line(rec.substr(0, eol), m)) return;
  std::string_view payload;
  Block* storage;
  if (r.payload) {
    storage = r.payload;
    payload = std::string_view(r.payload->data + r.poff, r.plen - 2);
  } else {
    storage = r.block;
    payload = rec.substr(eol + 2, rec.size() - eol - 4);
  }
  if (payload.size() != static_cast<size_t>(m.size)) return;

  match_subject(qs.account, m.subject);
  std::vector<const SubRef*>& here = redirect_members_;
  std::vector<const SubRef*>& there = redirect_remote_;
  std::vector<const SubRef*>& untried = redirect_untried_;
  here.clear();
  there.clear();
  untried.clear();
  uint64_t visited[4];
  std::memcpy(visited, qs.visited, sizeof visited);
  visited[static_cast<unsigned>(id_) / 64] |= uint64_t(1) << (static_cast<unsigned>(id_) % 64);
  for (const SubSet* set : match_)
    for (const QueueGroup* g : set->groups.snapshot()) {
      if (g->name != group) continue;
      for (const SubRef& ref : g->members) {
        // Routes were for the publisher's shard to pick; shadows of other
        // accounts see another subject, so only this account's members.
        if (ref.kind() != 0) continue;
        if (ref.cid == qs.pub_cid && (ref.flags & kSubNoEcho)) continue;
        if (ref.shard != id_) {
          there.push_back(&ref);
          if (!tried(visited, ref.shard)) untried.push_back(&ref);
        } else if (ref.slot != r.slot && subs_.can_take(ref)) here.push_back(&ref);
      }
    }
  auto& from = !here.empty() ? here : !untried.empty() ? untried : there;
  if (from.empty()) return;
  if (&from == &there && r.hops >= kMaxHops) return;
  const SubRef& to = *from[next_random() % from.size()];

  // The MSG line dropped the headers for the member that was gone: put them
  // back (one copy, on this rare path) so whoever takes it gets them.
  Block* whole = nullptr;
  std::string hdr_digits;
  if (!headers.empty()) {
    whole = Block::make(headers.size() + payload.size() + 2);
    whole->put(headers.data(), headers.size());
    whole->put(payload.data(), payload.size());
    whole->put("\r\n", 2);
    hdr_digits = std::to_string(headers.size());
    m.op = proto::Op::Hpub;
    m.hdr = static_cast<int64_t>(headers.size());
    m.hdr_text = hdr_digits;
    m.size = static_cast<int64_t>(headers.size() + payload.size());
    m.size_text = {};
    payload = std::string_view(whole->data, headers.size() + payload.size());
    storage = whole;
  }
  void* saved_tag = cur_pub_tag_;
  const uint32_t saved_account = cur_account_;
  cur_pub_tag_ = nullptr;  // the publisher is not on this shard: no stall request
  cur_account_ = qs.account;
  if (to.shard == id_) deliver_local(to.slot, to, m, payload, storage);
  else deliver_remote(to, m, payload, storage, QueueTag{group, qs.pub_cid, static_cast<uint8_t>(r.hops + 1), visited});
  cur_pub_tag_ = saved_tag;
  cur_account_ = saved_account;
  if (whole) whole->unref();
}

}  // namespace ringnats
