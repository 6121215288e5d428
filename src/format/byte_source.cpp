#include "format/byte_source.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"

namespace marquee::format {
namespace {

class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::filesystem::path& path) : name_(path.string()) {
    file_ = std::fopen(name_.c_str(), "rb");
    if (file_ == nullptr) {
      throw Error(ExitCode::kSource,
                  fmt::format("cannot open {}: {}; check the path and its permissions", name_,
                              std::strerror(errno)));
    }
  }
  ~FileSource() override { std::fclose(file_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::size_t read(std::span<char> buf) override {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), file_);
    if (n < buf.size() && std::ferror(file_)) {
      throw Error(ExitCode::kBadData,
                  fmt::format("cannot read {}: {}", name_, std::strerror(errno)));
    }
    return n;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  std::FILE* file_ = nullptr;
};

class StringSource final : public ByteSource {
 public:
  StringSource(std::string data, std::string name)
      : data_(std::move(data)), name_(std::move(name)) {}
  std::size_t read(std::span<char> buf) override {
    std::size_t n = std::min(buf.size(), data_.size() - pos_);
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string data_;
  std::string name_;
  std::size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::filesystem::path& path) {
  return std::make_unique<FileSource>(path);
}

std::unique_ptr<ByteSource> string_source(std::string data, std::string name) {
  return std::make_unique<StringSource>(std::move(data), std::move(name));
}

}  // namespace marquee::format
