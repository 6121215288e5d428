#include "report/company_index.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace marquee::report {
namespace {

constexpr std::string_view kMagic = "marquee company index 1\n";
constexpr std::uint64_t kFnvBasis = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

}  // namespace

std::filesystem::path company_index_path(const std::filesystem::path& results_dir,
                                         std::string_view report) {
  return results_dir / fmt::format(".{}.index", report);
}

CompanyIndexWriter::CompanyIndexWriter(AtomicFile& out) : out_(out), checksum_(kFnvBasis) {
  put(kMagic);
}

void CompanyIndexWriter::put(std::string_view bytes) {
  for (char c : bytes) checksum_ = (checksum_ ^ static_cast<unsigned char>(c)) * kFnvPrime;
  out_.write(bytes);
}

void CompanyIndexWriter::note(std::int64_t company, std::uint64_t offset, std::uint64_t row) {
  if (any_ && company == last_.company) return;
  if (any_ && (company < last_.company || offset <= last_.offset || row <= last_.row)) {
    throw std::logic_error(fmt::format(
        "company index: company {} at byte {} (row {}) after company {} at byte {} (row {})",
        company, offset, row, last_.company, last_.offset, last_.row));
  }
  chunk_.clear();
  chunk_.push_back('E');
  append_varint(chunk_,
                static_cast<std::uint64_t>(company) - static_cast<std::uint64_t>(last_.company));
  append_varint(chunk_, offset - last_.offset);
  append_varint(chunk_, row - last_.row);
  put(chunk_);
  last_ = {company, offset, row};
  any_ = true;
}

void CompanyIndexWriter::finish(std::uint64_t rows, std::uint64_t bytes) {
  chunk_.clear();
  chunk_.push_back('T');
  append_varint(chunk_, rows);
  append_varint(chunk_, bytes);
  put(chunk_);
  chunk_.clear();
  for (int i = 0; i < 8; ++i) chunk_.push_back(static_cast<char>((checksum_ >> (8 * i)) & 0xff));
  out_.write(chunk_);
}

CompanyIndexReader::CompanyIndexReader(const std::filesystem::path& path,
                                       std::uint64_t report_bytes)
    : checksum_(kFnvBasis), report_bytes_(report_bytes) {
  file_ = FileDescriptor(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file_.valid())
    throw CompanyIndexUnusable(fmt::format("cannot open it: {}", std::strerror(errno)));
  buffer_.resize(std::size_t{1} << 16);
  for (char expected : kMagic) {
    if (static_cast<char>(byte()) != expected) throw CompanyIndexUnusable("not a company index");
  }
}

unsigned char CompanyIndexReader::byte() {
  if (at_ == end_) {
    ssize_t n;
    do {
      n = ::read(file_.get(), buffer_.data(), buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw CompanyIndexUnusable(fmt::format("cannot read it: {}", std::strerror(errno)));
    if (n == 0) throw CompanyIndexUnusable("it is cut short");
    at_ = 0;
    end_ = static_cast<std::size_t>(n);
  }
  auto b = static_cast<unsigned char>(buffer_[at_++]);
  checksum_ = (checksum_ ^ b) * kFnvPrime;
  return b;
}

std::uint64_t CompanyIndexReader::varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    unsigned char b = byte();
    value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  throw CompanyIndexUnusable("a number is too long");
}

std::optional<CompanyStart> CompanyIndexReader::next() {
  if (done_) return std::nullopt;
  unsigned char tag = byte();
  if (tag == 'E') {
    CompanyStart start;
    start.company = static_cast<std::int64_t>(static_cast<std::uint64_t>(last_.company) + varint());
    start.offset = last_.offset + varint();
    start.row = last_.row + varint();
    if (any_ && (start.company <= last_.company || start.offset <= last_.offset ||
                 start.row <= last_.row)) {
      throw CompanyIndexUnusable(fmt::format("company {} is out of order", start.company));
    }
    if (start.offset >= report_bytes_) {
      throw CompanyIndexUnusable(
          fmt::format("company {} starts past the report's end", start.company));
    }
    last_ = start;
    any_ = true;
    return start;
  }
  if (tag != 'T') throw CompanyIndexUnusable("an entry is not an entry");
  rows_ = varint();
  bytes_ = varint();
  const std::uint64_t expected = checksum_;
  std::uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) stored |= static_cast<std::uint64_t>(byte()) << (8 * i);
  if (stored != expected) throw CompanyIndexUnusable("its checksum does not match");
  if (bytes_ != report_bytes_) {
    throw CompanyIndexUnusable(
        fmt::format("it describes a report of {} bytes, not {}", bytes_, report_bytes_));
  }
  if (any_ && rows_ <= last_.row) throw CompanyIndexUnusable("its row count is too small");
  if (at_ != end_ || ::read(file_.get(), buffer_.data(), 1) != 0)
    throw CompanyIndexUnusable("it goes on after its end");
  done_ = true;
  return std::nullopt;
}

}  // namespace marquee::report
