// The text -h prints: nats-server 2.9's flags in its grouping, each marked
// when ringnats refuses it (TLS) or ignores it, plus ringnats' own --shards.
#include "config/flags.h"

namespace ringnats {
namespace {

const char kUsage[] = R"(
Usage: ringnats [options]

Server Options:
    -a, --addr, --net <host>         Address to bind for clients (default: 0.0.0.0)
    -p, --port <port>                Client port (default: 4222, -1 for a random one)
    -n, --name
        --server_name <server_name>  Name of this server (default: its id)
    -P, --pid <file>                 Write the process id to this file
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Read options from this configuration file
    -t                               Check the configuration file and exit
    -sl,--signal <signal>[=<pid>]    Signal a running server (not supported; use kill)
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Directory for a ports file (ignored)
        --shards <n>                 io_uring shard threads (default: one per online CPU, one on two CPUs)

Logging Options:
    -l, --log <file>                 Append the log to this file instead of stderr
    -T, --logtime                    Put a timestamp on log lines (default: true)
    -s, --syslog                     Log to syslog (ignored)
    -r, --remote_syslog <addr>       Remote syslog address (ignored)
    -D, --debug                      Log debug messages
    -V, --trace                      Log the protocol traffic
    -VV                              Verbose trace (same as -V here)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace
        --log_size_limit <limit>     Log file size before rotation (ignored)
        --max_traced_msg_len <len>   Longest traced message (ignored)

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

Authorization Options:
        --user <user>                Username clients must present
        --pass <password>            Password clients must present
        --auth <token>               Token clients must present

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Cluster Options:
        --routes <rurl-1, rurl-2>    Comma separated routes to connect to
        --cluster <cluster-url>      Listen for routes on this URL (nats://host:port)
        --cluster_name <string>      Cluster name (default: generated)
        --no_advertise <bool>        Do not tell clients about other servers
        --cluster_advertise <string> Route URL to advertise to other servers
        --connect_retries <number>   Connect retries for implicit routes
        --cluster_listen <url>       Same as --cluster

Profiling Options:
        --profile <port>             Profiling HTTP port (ignored)

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show the version
        --help_tls                   TLS help
)";

}  // namespace

const std::string& usage_text() {
  static const std::string text(kUsage);
  return text;
}

}  // namespace ringnats
