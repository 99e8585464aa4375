#include "eventstore/canonical.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>
#include <memory>

namespace forkline {
namespace {

void AppendKey(std::string& out, std::string_view key) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += key;
  out += "\":";
}

void AppendOptionalString(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  AppendKey(out, key);
  AppendJsonString(out, value);
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  // Runs of characters that need no escape are appended whole.
  std::size_t plain = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xf]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

// Keys in byte order: at, command_id, data, hash, key, position, prev_hash, run_id,
// type, version. Empty command_id/key are left out; an empty prev_hash is null.
std::string CanonicalJson(const Event& e, CanonicalForm form) {
  const bool full = form == CanonicalForm::kFull;
  std::string out;
  out.reserve(e.data.size() + e.run_id.size() + 256);
  out += '{';
  AppendKey(out, "at");
  AppendJsonString(out, e.at);
  AppendOptionalString(out, "command_id", e.command_id);
  AppendKey(out, "data");
  out += e.data.empty() ? std::string_view("{}") : std::string_view(e.data);
  if (full) {
    AppendKey(out, "hash");
    AppendJsonString(out, e.hash);
  }
  AppendOptionalString(out, "key", e.key);
  if (full) {
    AppendKey(out, "position");
    out += std::to_string(e.position);
  }
  AppendKey(out, "prev_hash");
  if (e.prev_hash.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, e.prev_hash);
  }
  AppendKey(out, "run_id");
  AppendJsonString(out, e.run_id);
  AppendKey(out, "type");
  AppendJsonString(out, e.type);
  AppendKey(out, "version");
  out += std::to_string(e.version);
  out += '}';
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  // One digest context per thread and the algorithm fetched once: OpenSSL 3's one-shot
  // SHA256() looks the algorithm up and allocates a context on every call.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                             EVP_MD_CTX_free);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), nullptr) != 1) {
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(digest.size() * 2, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string EventHash(const Event& event) {
  return Sha256Hex(CanonicalJson(event, CanonicalForm::kForHash));
}

}  // namespace forkline
