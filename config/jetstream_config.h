// The `jetstream` block and the top-level `store_dir`, read as nats-server
// 2.9's parseJetStream reads them (same aliases, same error texts).
#pragma once

#include <string>

#include "config/config_sink.h"

namespace ringnats {

void parse_jetstream(const conf::ConfValue& v, Options& o, confparse::Sink& s);
void parse_store_dir(const conf::ConfValue& v, Options& o, confparse::Sink& s);

}  // namespace ringnats
