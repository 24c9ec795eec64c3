// floor: close to the least a NATS server that copies each payload once can
// spend per message on this machine (sending from the read buffers would save
// that copy), as a reference for issue 10's targets; not a server. One thread, edge-triggered
// epoll, 256 KiB reads, the payload copied once into a chain of 64 KiB output
// chunks and one writev per connection per turn, subjects matched by a scan
// of a handful of subscriptions; no limits, auth, cluster or anything else a
// server owes its users. tools/bench-compare runs it as a third server
// (`--servers ringnats,nats-server,floor`) with the same flags and clients.
// Written by hand because it is the measurement: it must do nothing extra.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/uio.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t kReadSize = 256 * 1024;       // as ringnats' receives
// Stop reading while this much waits to go out: small enough that a payload
// is still in cache when the kernel copies it out.
constexpr size_t kPauseOutBytes = 1 << 20;
constexpr size_t kChunkBytes = 64 * 1024;      // output is a chain of these, sent with writev
constexpr size_t kMaxPayload = 1 << 20;

struct Conn {
  int fd = -1;
  std::vector<char> in;
  size_t in_len = 0;
  std::deque<std::string> out;  // appended at the back; the front is sent from `out_sent`
  size_t out_sent = 0;
  size_t out_bytes = 0;  // not yet sent
  bool readable = false;   // an edge came and the socket may still hold data
  bool writable = true;
  bool queued_flush = false;
  bool no_responders = false;
  bool peer_closed = false;  // RDHUP seen: read on until the EOF
  bool closed = false;
};

struct Sub {
  Conn* conn;
  std::string subject;
  std::string sid;
  int group;  // -1: not in a queue group
  bool wildcard;
};

struct Floor {
  int ep = -1;
  int listener = -1;
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<Sub> subs;
  std::unordered_map<std::string, int> groups;
  std::vector<unsigned> group_turn;
  std::vector<Conn*> to_flush;
  size_t queued_out = 0;
  std::string info;
  std::vector<std::string> spare_chunks;

  std::vector<const Sub*> matched;
  std::vector<const Sub*> picked;
};

bool token_match(std::string_view pattern, std::string_view subject) {
  for (;;) {
    size_t pd = pattern.find('.'), sd = subject.find('.');
    std::string_view pt = pattern.substr(0, pd), st = subject.substr(0, sd);
    if (pt == ">") return !st.empty();
    if (pt != "*" && pt != st) return false;
    if (pd == std::string_view::npos || sd == std::string_view::npos) return pd == sd;
    pattern.remove_prefix(pd + 1);
    subject.remove_prefix(sd + 1);
  }
}

void queue_output(Floor& f, Conn* c, std::string_view a, std::string_view b = {}, std::string_view d = {}) {
  if (c->closed) return;
  const size_t n = a.size() + b.size() + d.size();
  if (c->out.empty() || c->out.back().size() + n > std::max(kChunkBytes, c->out.back().capacity())) {
    if (f.spare_chunks.empty()) {
      c->out.emplace_back();
      c->out.back().reserve(kChunkBytes);
    } else {
      c->out.push_back(std::move(f.spare_chunks.back()));
      f.spare_chunks.pop_back();
    }
  }
  c->out.back().append(a).append(b).append(d);
  c->out_bytes += n;
  f.queued_out += n;
  if (!c->queued_flush) {
    c->queued_flush = true;
    f.to_flush.push_back(c);
  }
}

// `hdr` < 0: a MSG; otherwise an HMSG whose first `hdr` payload bytes are headers.
void deliver(Floor& f, std::string_view subject, std::string_view reply, long hdr, std::string_view payload) {
  f.matched.clear();
  for (const Sub& s : f.subs)
    if (s.wildcard ? token_match(s.subject, subject) : s.subject == subject) f.matched.push_back(&s);
  f.picked.clear();
  for (const Sub* s : f.matched) {
    if (s->group < 0) {
      f.picked.push_back(s);
      continue;
    }
    bool group_seen = false;
    for (const Sub* p : f.picked) group_seen |= p->group == s->group;
    if (group_seen) continue;
    size_t members = 0;
    for (const Sub* m : f.matched) members += m->group == s->group;
    size_t k = f.group_turn[size_t(s->group)]++ % members;
    for (const Sub* m : f.matched)
      if (m->group == s->group && k-- == 0) f.picked.push_back(m);
  }
  for (const Sub* s : f.picked) {
    char line[4096];
    char* p = line;
    auto put = [&p](std::string_view v) {
      memcpy(p, v.data(), v.size());
      p += v.size();
    };
    if (subject.size() + reply.size() + s->sid.size() > sizeof line - 64) continue;
    put(hdr < 0 ? "MSG " : "HMSG ");
    put(subject);
    *p++ = ' ';
    put(s->sid);
    if (!reply.empty()) {
      *p++ = ' ';
      put(reply);
    }
    *p++ = ' ';
    if (hdr >= 0) {
      p = std::to_chars(p, line + sizeof line, hdr).ptr;
      *p++ = ' ';
    }
    p = std::to_chars(p, line + sizeof line, payload.size()).ptr;
    put("\r\n");
    queue_output(f, s->conn, std::string_view(line, size_t(p - line)), payload, "\r\n");
  }
}

// At most kMaxArgs arguments; `count` is how many the line had (more means malformed).
constexpr size_t kMaxArgs = 5;
struct Args {
  std::string_view at[kMaxArgs];
  size_t count = 0;
  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  std::string_view operator[](size_t i) const { return at[i]; }
  std::string_view back() const { return at[count - 1]; }
};

Args split_args(std::string_view line) {
  Args args;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) {
      if (args.count == kMaxArgs) {
        args.count = kMaxArgs + 1;
        return args;
      }
      args.at[args.count++] = line.substr(i, j - i);
    }
    i = j;
  }
  return args;
}

long to_long(std::string_view s) {
  long v = -1;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

void drop_subs_of(Floor& f, Conn* c) {
  std::erase_if(f.subs, [c](const Sub& s) { return s.conn == c; });
}

void close_conn(Floor& f, Conn* c) {
  if (c->closed) return;
  c->closed = true;
  drop_subs_of(f, c);
  f.queued_out -= c->out_bytes;
  epoll_ctl(f.ep, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
}

// Parses what `c` has read; returns false when the connection must close.
bool parse(Floor& f, Conn* c) {
  size_t pos = 0;
  const char* buf = c->in.data();
  while (pos < c->in_len) {
    const char* nl = static_cast<const char*>(memchr(buf + pos, '\n', c->in_len - pos));
    if (!nl) break;
    size_t end = size_t(nl - buf);
    std::string_view line(buf + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t next = end + 1;
    auto sp = line.find(' ');
    std::string_view op = line.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    if (op == "PUB" || op == "pub" || op == "HPUB" || op == "hpub") {
      const bool headers = op.size() == 4;
      auto a = split_args(rest);
      if (a.size() < size_t(headers ? 3 : 2) || a.size() > size_t(headers ? 4 : 3)) return false;
      long total = to_long(a.back());
      long hdr = headers ? to_long(a[a.size() - 2]) : -1;
      if (total < 0 || size_t(total) > kMaxPayload || (headers && (hdr < 0 || hdr > total))) return false;
      if (c->in_len - next < size_t(total) + 2) break;  // the payload is not all here yet
      std::string_view reply = a.size() == size_t(headers ? 4 : 3) ? a[1] : std::string_view{};
      std::string_view payload(buf + next, size_t(total));
      deliver(f, a[0], reply, hdr, payload);
      if (f.picked.empty() && !reply.empty() && c->no_responders)
        deliver(f, reply, {}, 16, "NATS/1.0 503\r\n\r\n");
      next += size_t(total) + 2;
    } else if (op == "PING" || op == "ping") {
      queue_output(f, c, "PONG\r\n");
    } else if (op == "PONG" || op == "pong") {
    } else if (op == "SUB" || op == "sub") {
      auto a = split_args(rest);
      if (a.size() < 2 || a.size() > 3) return false;
      int group = -1;
      if (a.size() == 3) {
        auto [it, added] = f.groups.try_emplace(std::string(a[1]), int(f.groups.size()));
        if (added) f.group_turn.push_back(0);
        group = it->second;
      }
      Sub s{c, std::string(a[0]), std::string(a.back()), group, false};
      s.wildcard = s.subject.find_first_of("*>") != std::string::npos;
      f.subs.push_back(std::move(s));
    } else if (op == "UNSUB" || op == "unsub") {
      auto a = split_args(rest);
      if (a.empty()) return false;
      std::erase_if(f.subs, [&](const Sub& s) { return s.conn == c && s.sid == a[0]; });
    } else if (op == "CONNECT" || op == "connect") {
      c->no_responders = rest.find("\"no_responders\":true") != std::string_view::npos &&
                         rest.find("\"headers\":true") != std::string_view::npos;
    } else if (!op.empty()) {
      queue_output(f, c, "-ERR 'Unknown Protocol Operation'\r\n");
      return false;
    }
    pos = next;
  }
  if (pos > 0) {
    memmove(c->in.data(), buf + pos, c->in_len - pos);
    c->in_len -= pos;
  }
  return true;
}

void read_some(Floor& f, Conn* c) {
  if (c->in.size() - c->in_len < kReadSize) c->in.resize(c->in_len + kReadSize);
  size_t room = kReadSize;
  ssize_t n = read(c->fd, c->in.data() + c->in_len, room);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    c->readable = false;
    return;
  }
  if (n <= 0) {
    close_conn(f, c);
    return;
  }
  // A short read emptied the socket: the next data brings a new edge.
  c->readable = size_t(n) == room || c->peer_closed;
  c->in_len += size_t(n);
  if (!parse(f, c)) close_conn(f, c);
}

void flush(Floor& f, Conn* c) {
  while (!c->closed && c->writable && c->out_bytes > 0) {
    iovec iov[64];
    int n_iov = 0;
    for (size_t i = 0; i < c->out.size() && n_iov < 64; ++i) {
      const size_t from = i == 0 ? c->out_sent : 0;
      iov[n_iov++] = iovec{c->out[i].data() + from, c->out[i].size() - from};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(n_iov);
    ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      c->writable = false;
      break;
    }
    if (n <= 0) {
      close_conn(f, c);
      return;
    }
    c->out_bytes -= size_t(n);
    f.queued_out -= size_t(n);
    size_t left = size_t(n);
    while (left > 0) {
      std::string& front = c->out.front();
      const size_t here = front.size() - c->out_sent;
      if (left < here) {
        c->out_sent += left;
        break;
      }
      left -= here;
      c->out_sent = 0;
      front.clear();
      if (front.capacity() <= 4 * kChunkBytes) f.spare_chunks.push_back(std::move(front));
      c->out.pop_front();
    }
  }
}

void accept_all(Floor& f) {
  for (;;) {
    int fd = accept4(f.listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = c.get();
    epoll_ctl(f.ep, EPOLL_CTL_ADD, fd, &ev);
    queue_output(f, c.get(), f.info);
    f.conns.push_back(std::move(c));
  }
}

int listen_on(const char* addr, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port));
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      listen(fd, 1024) != 0) {
    fprintf(stderr, "floor: cannot listen on %s:%d: %s\n", addr, port, strerror(errno));
    exit(1);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const char* addr = "127.0.0.1";
  int port = 4222;
  if (argc > 1 && !strcmp(argv[1], "--version")) {
    puts("floor 0.1.0 (bench/floor: a reference, not a server)");
    return 0;
  }
  for (int i = 1; i + 1 < argc; ++i) {
    if (!strcmp(argv[i], "-a")) addr = argv[++i];
    else if (!strcmp(argv[i], "-p")) port = atoi(argv[++i]);
  }
  signal(SIGPIPE, SIG_IGN);
  Floor f;
  f.info = "INFO {\"server_id\":\"FLOOR\",\"server_name\":\"floor\",\"version\":\"2.9.10\",\"proto\":1,"
           "\"go\":\"none\",\"host\":\"" + std::string(addr) + "\",\"port\":" + std::to_string(port) +
           ",\"headers\":true,\"max_payload\":" + std::to_string(kMaxPayload) + "}\r\n";
  f.listener = listen_on(addr, port);
  f.ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = nullptr;
  epoll_ctl(f.ep, EPOLL_CTL_ADD, f.listener, &lev);
  fprintf(stderr, "floor: listening on %s:%d\n", addr, port);

  std::vector<epoll_event> events(256);
  size_t turn = 0;
  for (;;) {
    // Block only when nothing is left to read or write.
    bool work = false;
    for (auto& c : f.conns) work |= !c->closed && c->readable && f.queued_out < kPauseOutBytes;
    int n = epoll_wait(f.ep, events.data(), int(events.size()), work ? 0 : -1);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[size_t(i)].data.ptr);
      if (!c) {
        accept_all(f);
        continue;
      }
      if (events[size_t(i)].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->readable = true;
      if (events[size_t(i)].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->peer_closed = true;
      if (events[size_t(i)].events & EPOLLOUT) {
        c->writable = true;
        if (c->out_bytes > 0 && !c->queued_flush) {
          c->queued_flush = true;
          f.to_flush.push_back(c);
        }
      }
    }
    // One read for each connection that has data, while output is not piling up.
    // Starting one further each turn, so no publisher is always last when the pause comes.
    const size_t count = f.conns.size();
    for (size_t k = 0; k < count && f.queued_out < kPauseOutBytes; ++k) {
      Conn* c = f.conns[(turn + k) % count].get();
      if (!c->closed && c->readable) read_some(f, c);
    }
    ++turn;
    for (Conn* c : f.to_flush) {
      c->queued_flush = false;
      flush(f, c);
    }
    f.to_flush.clear();
    std::erase_if(f.conns, [](const std::unique_ptr<Conn>& c) { return c->closed; });
  }
}
