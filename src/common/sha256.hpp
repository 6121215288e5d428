#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace marquee {

/// SHA-256 (OpenSSL EVP), fed piece by piece: archives and folders are hashed as they stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view data);
  /// The digest as 64 lowercase hex digits; the object is reset for a new message.
  std::string hex_digest();
  /// The raw 32-byte digest; the object is reset for a new message.
  std::string digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

/// The SHA-256 of `data` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

/// The SHA-256 of a file's bytes as 64 lowercase hex digits. Throws std::system_error when it
/// cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

/// HMAC-SHA256 of `data` under `key`, the raw 32 bytes (the SigV4 key derivation).
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Lowercase hex of raw bytes.
std::string to_hex(std::string_view bytes);

}  // namespace marquee
