// nkey challenge: the nonce a server puts in INFO when nkey users exist, and
// the check of the client's signature of it (ed25519 through OpenSSL). Cheap
// enough to run inline on a shard; thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

namespace ringnats::auth {

// 11 random bytes (RAND_bytes), base64 URL alphabet without padding: 15
// characters, as nats-server's.
std::string make_nonce();
// `sig`: base64 URL without padding, or (as nats falls back) standard base64.
bool verify_nonce_sig(std::string_view public_user_key, std::string_view nonce, std::string_view sig);

// Base64 helpers (also used by tests to sign).
bool base64_decode(std::string_view s, bool url, bool padded, std::string& out);
std::string base64_url_raw(const unsigned char* p, size_t n);

}  // namespace ringnats::auth
