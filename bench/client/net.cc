// URL parsing and dialing. Name resolution uses getaddrinfo, so "localhost"
// works; connects are non-blocking with a poll deadline, then set blocking.

#include "bench/client/net.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringnats::bench {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

bool parse_server_list(std::string_view list, std::vector<ServerUrl>& out, std::string& err) {
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view item = list.substr(i, j - i);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    i = j + 1;
    if (item.empty()) continue;
    if (auto k = item.find("://"); k != std::string_view::npos) item.remove_prefix(k + 3);
    if (auto at = item.rfind('@'); at != std::string_view::npos) item.remove_prefix(at + 1);
    while (!item.empty() && item.back() == '/') item.remove_suffix(1);
    ServerUrl u;
    std::string_view host = item;
    size_t colon = item.rfind(':');
    if (!item.empty() && item.front() == '[') {  // [v6]:port
      size_t rb = item.find(']');
      if (rb == std::string_view::npos) { err = "bad url: " + std::string(item); return false; }
      host = item.substr(1, rb - 1);
      colon = (rb + 1 < item.size() && item[rb + 1] == ':') ? rb + 1 : std::string_view::npos;
    } else if (colon != std::string_view::npos) {
      host = item.substr(0, colon);
    }
    if (colon != std::string_view::npos) {
      std::string_view ps = item.substr(colon + 1);
      unsigned long v = 0;
      if (ps.empty() || ps.size() > 5) { err = "bad port in: " + std::string(item); return false; }
      for (char c : ps) {
        if (c < '0' || c > '9') { err = "bad port in: " + std::string(item); return false; }
        v = v * 10 + static_cast<unsigned long>(c - '0');
      }
      if (v == 0 || v > 65535) { err = "bad port in: " + std::string(item); return false; }
      u.port = static_cast<uint16_t>(v);
    }
    u.host = host.empty() ? "127.0.0.1" : std::string(host);
    out.push_back(std::move(u));
  }
  if (out.empty()) { err = "no server url given"; return false; }
  return true;
}

int dial_tcp(const ServerUrl& url, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(url.port);
  if (getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) return -EHOSTUNREACH;
  int last = -ECONNREFUSED;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) { last = -errno; continue; }
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      r = poll(&pfd, 1, timeout_ms);
      if (r == 1) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        r = soerr == 0 ? 0 : -1;
        errno = soerr;
      } else {
        r = -1;
        errno = ETIMEDOUT;
      }
    }
    if (r == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      freeaddrinfo(res);
      return fd;
    }
    last = -errno;
    close(fd);
  }
  freeaddrinfo(res);
  return last;
}

}  // namespace ringnats::bench
