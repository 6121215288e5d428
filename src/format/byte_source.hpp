#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace marquee::format {

/// A forward-only stream of bytes: a file, a ZIP entry, a string in a test.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Fills up to buf.size() bytes and returns how many; 0 means end of input.
  /// Throws marquee::Error when the bytes cannot be read (I/O, CRC, truncation).
  virtual std::size_t read(std::span<char> buf) = 0;
  /// What to call this source in messages ("movies_metadata.csv in data.zip").
  virtual const std::string& name() const = 0;
};

std::unique_ptr<ByteSource> open_file_source(const std::filesystem::path& path);
std::unique_ptr<ByteSource> string_source(std::string data, std::string name = "<string>");

}  // namespace marquee::format
