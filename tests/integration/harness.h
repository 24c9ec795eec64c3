// Integration-test harness: starts ringnats or stock nats-server on a free
// loopback port and talks to it over raw sockets, synchronising only on
// PING/PONG round trips, expected bytes arriving, or the server closing.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace itest {

// Default bound for every wait in these tests.
inline constexpr int kTimeoutMs = 5000;

// The sanitizer the server under test was built with ("address",
// "thread"), or empty: env RINGNATS_SANITIZER (tools/run-tests sets it when
// it runs these tests against a sanitized server), else this test's own
// build. Its memory figures (shadow memory, quarantine) and speed are not
// the release build's, so RSS bounds are not checked there and time bounds
// are looser.
std::string server_sanitizer();
inline bool sanitized() { return !server_sanitizer().empty(); }

// Binary under test: env RINGNATS_BIN, else the RINGNATS_BIN compile-time define.
std::string ringnats_bin();
// Reference binary: env NATS_SERVER_BIN, else /usr/sbin/nats-server.
std::string stock_bin();
// True when the binary's basename is "ringnats" (it then understands --shards).
bool is_ringnats(const std::string& bin);
// A loopback port that was free a moment ago, outside the ephemeral range
// (20000-31999; env ITEST_PORT_RANGE=<lo>-<hi> picks from [lo, hi) instead).
int free_port();

// One server child process on 127.0.0.1. Killed in stop() and the destructor;
// the child also gets SIGKILL if the test process dies (PR_SET_PDEATHSIG).
constexpr int kTestShards = 2;

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts `bin -a 127.0.0.1 -p <free port> [--shards N] extra...` and waits
  // until the port answers with INFO. shards 0: kTestShards, so the paths between
  // shards are tried on any machine (ringnats runs one on two CPUs); shards
  // < 0, `--shards` in extra, or a non-ringnats binary: no --shards.
  // Returns false (with err) if the process exits or never accepts.
  bool start(const std::string& bin, int shards = 0,
             const std::vector<std::string>& extra = {}, std::string* err = nullptr);
  // SIGTERM, bounded wait, then SIGKILL. Idempotent.
  void stop();

  // The next start() uses exactly this port (no retry on another one).
  void pin_port(int port) { pinned_port_ = port; }
  // start() adds no -a/-p: the configuration in `extra` must listen on
  // 127.0.0.1 at the pinned port (for tests that change it by reload).
  void omit_listen_flags() { listen_flags_ = false; }
  // Waits (bounded) for the child to exit by itself, e.g. after a signal the
  // test sent it. True with its wait status; false if it is still running.
  bool wait_exit(int timeout_ms, int* status);

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The child's resident set now (VmRSS) and at its peak (VmHWM), in KiB;
  // -1 if it is not running.
  long rss_kib() const { return status_kib("VmRSS"); }
  long peak_rss_kib() const { return status_kib("VmHWM"); }
  long status_kib(const char* field) const;
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int pinned_port_ = 0;
  bool listen_flags_ = true;
};

// A blocking client socket with bounded receive/send timeouts.
class RawConn {
 public:
  RawConn() = default;
  ~RawConn();
  RawConn(RawConn&& o) noexcept;
  RawConn& operator=(RawConn&& o) noexcept;
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  // rcvbuf > 0: SO_RCVBUF set before connecting, so the window the peer sees
  // is small from the first byte (setting it later shrinks an advertised
  // window, which the kernel answers with retransmission backoff).
  bool connect(int port, int timeout_ms = kTimeoutMs, int rcvbuf = 0);
  void close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Sends all bytes. False if the peer is gone (EPIPE/ECONNRESET) or on timeout.
  bool send(std::string_view bytes);
  // Reads whatever arrives within timeout_ms into the buffer; returns bytes
  // read, 0 on orderly close or reset (closed() becomes true), -1 on timeout.
  long read_some(int timeout_ms = kTimeoutMs);

  // Reads one line (without the CRLF) from the buffer/socket.
  bool read_line(std::string& line, int timeout_ms = kTimeoutMs);
  // Reads until the buffered bytes contain `marker`; returns everything up to
  // and including it (removed from the buffer). False on close or timeout.
  bool read_until(std::string_view marker, std::string& out, int timeout_ms = kTimeoutMs);
  // Sends PING and reads until the PONG line that answers it; out gets
  // everything before and including it. Assumes no other PING is outstanding.
  bool ping_pong(std::string& out, int timeout_ms = kTimeoutMs);
  // Waits until the server closes the connection, discarding input.
  bool expect_closed(int timeout_ms = kTimeoutMs);

  // Bytes received but not consumed yet, and whether the peer has closed.
  std::string& buffer() { return buf_; }
  bool closed() const { return peer_closed_; }

 private:
  int fd_ = -1;
  bool peer_closed_ = false;
  std::string buf_;
};

// Connects, reads INFO, sends a quiet CONNECT (verbose and pedantic off)
// followed by `after`, and synchronises on a PING/PONG.
bool connect_quiet(RawConn& c, int port, const std::string& after = "");

// A subscriber to `subject` that never reads, with a 4 KiB receive buffer so
// the server's sends to it back up at once.
bool connect_stalled_reader(RawConn& c, int port, const std::string& subject);

// A config file for one test, removed when this goes out of scope.
class TempConfig {
 public:
  explicit TempConfig(const std::string& body);
  ~TempConfig();
  TempConfig(const TempConfig&) = delete;
  TempConfig& operator=(const TempConfig&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Publishes 1 KiB messages on `subject` from `pub` on a thread, as fast as
// the server reads them, until destroyed. wait_for_bytes() polls (bounded)
// until that many bytes were accepted, so a stalled reader is far behind.
class Flooder {
 public:
  Flooder(RawConn& pub, const std::string& subject);
  ~Flooder();
  Flooder(const Flooder&) = delete;
  Flooder& operator=(const Flooder&) = delete;
  void wait_for_bytes(size_t n, int timeout_ms = 1000);

 private:
  struct State;
  State* st_;
};

// ---- Server-to-client stream splitting and normalisation ----

// Splits a server->client byte stream into whole protocol frames (a control
// line, plus its payload for MSG/HMSG). Returns the number of bytes used; an
// incomplete trailing frame is left. Unparsable bytes become one frame.
size_t split_frames(std::string_view bytes, std::vector<std::string>& frames);

// INFO frame with volatile values masked and keys sorted, so two servers can
// be compared: "INFO {"client_id":*,...,"proto":1} \r\n".
std::string normalize_info(std::string_view frame);

// Renders frames as one string: INFO frames normalised, server PINGs dropped
// (their timing is not part of a conversation).
std::string render_frames(const std::vector<std::string>& frames);

// Makes bytes readable in failure messages (\r \n and non-printables escaped).
std::string escape(std::string_view bytes);

// Runs `cmd` through /bin/sh and returns what it wrote to stdout (bound it
// with `timeout N` in the command itself).
std::string run_shell(const std::string& cmd);

// ---- Multi-step conversations ----

// One step: send chunks (one send() each) on connection `conn`. If sync, the
// harness then sends PING on that connection and waits for its PONG (or a
// close). gap_us > 0 pauses between chunks to make the server see split reads
// (pacing only, never used to wait for an answer).
struct Step {
  int conn = 0;
  std::vector<std::string> chunks;
  bool sync = true;
  int gap_us = 0;
};

// What one connection saw: the first INFO (normalised), then everything else.
struct ConnResult {
  std::string info;
  std::string transcript;  // rendered frames after the first INFO
  bool closed = false;
  bool timed_out = false;
};

// Runs steps against a server on `port` with `nconns` connections opened in
// order before the first step. For each connection, `target` (if given) holds
// the transcript to wait for at the end: reading continues until the
// transcript has at least that many bytes, diverges, closes, or times out.
std::vector<ConnResult> run_conversation(int port, int nconns, const std::vector<Step>& steps,
                                         const std::vector<std::string>* target = nullptr);

// Splits bytes into one chunk per byte.
std::vector<std::string> bytewise(std::string_view bytes);

// ---- TLS test material ----

// A CA, a server certificate (SANs localhost and 127.0.0.1) and a client
// certificate signed by it, plus a second CA with a client certificate of
// its own (for "wrong CA" cases), made with the openssl CLI in a temporary
// directory that is removed on destruction.
class TestCerts {
 public:
  TestCerts();
  ~TestCerts();
  TestCerts(const TestCerts&) = delete;
  TestCerts& operator=(const TestCerts&) = delete;
  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  std::string ca() const { return dir_ + "/ca.pem"; }
  std::string server_cert() const { return dir_ + "/server.pem"; }
  std::string server_key() const { return dir_ + "/server-key.pem"; }
  std::string client_cert() const { return dir_ + "/client.pem"; }
  std::string client_key() const { return dir_ + "/client-key.pem"; }
  std::string other_ca() const { return dir_ + "/other-ca.pem"; }
  std::string other_client_cert() const { return dir_ + "/other-client.pem"; }
  std::string other_client_key() const { return dir_ + "/other-client-key.pem"; }
  // Another client certificate from the CA: `name`.pem and `name`-key.pem,
  // with an openssl -subj such as "/O=acme/CN=alice" (multi-valued RDNs
  // with '+') and an optional subjectAltName ("email:a@b,DNS:x").
  bool make_client(const std::string& name, const std::string& subj, const std::string& san = "");
  std::string cert(const std::string& name) const { return dir_ + "/" + name + ".pem"; }
  std::string key(const std::string& name) const { return dir_ + "/" + name + "-key.pem"; }

 private:
  std::string dir_;
  bool ok_ = false;
};

}  // namespace itest
