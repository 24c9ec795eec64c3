// The monitoring HTTP listener: serves every endpoint under the base path on
// its own small thread pool (cpp-httplib), counts requests per path for
// /varz, and wraps JSON in JSONP when asked (?callback=). start() and stop()
// are called from the control thread; requests run on the pool's threads and
// reach core only through MonitorSource.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "monitor/endpoint.h"
#include "monitor/source.h"

namespace httplib { class Server; }

namespace ringnats::monitor {

// nats' http_base_path normalisation: "" -> "/", leading slash added,
// cleaned as Go's path.Clean ("mon/" -> "/mon").
std::string normalize_base_path(const std::string& p);

// Serves one request: `path` as received, the query, and the source. Pure
// apart from bumping `stats`; the HTTP handler and the tests both use it.
Response serve(const std::string& base_path, const std::string& path, const Query& q,
               MonitorSource& src, const std::string& server_id, ReqStats& stats,
               std::mutex& stats_mu, int64_t now_ns);

class MonitorServer {
 public:
  MonitorServer();
  ~MonitorServer();  // stop()
  MonitorServer(const MonitorServer&) = delete;
  MonitorServer& operator=(const MonitorServer&) = delete;

  // Binds host:port (port 0 or -1: any free port) and starts serving under
  // base_path. False with `err` set as nats words it ("can't listen to the
  // monitor port: ..."). On success log_line() is nats' notice, for the
  // caller's logger: "Starting http monitor on 127.0.0.1:8222".
  // `tls`: serve HTTPS with this certificate and key (nats' https_port; no
  // client certificate asked for, as nats).
  struct TlsFiles {
    std::string cert_file, key_file;
  };
  bool start(const std::string& host, int port, const std::string& base_path,
             MonitorSource& src, std::string& err, const TlsFiles* tls = nullptr);
  // Stops listening and joins the threads. Idempotent.
  void stop();

  int port() const { return port_; }
  const std::string& log_line() const { return log_line_; }
  ReqStats req_stats() const;

 private:
  std::unique_ptr<httplib::Server> svr_;
  std::thread thread_;
  int port_ = 0;
  std::string log_line_;
  std::string base_;
  std::string server_id_;
  MonitorSource* src_ = nullptr;
  mutable std::mutex stats_mu_;
  ReqStats stats_;
};

}  // namespace ringnats::monitor
