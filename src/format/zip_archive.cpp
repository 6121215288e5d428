#include "format/zip_archive.hpp"

#include <zip.h>
#ifdef MARQUEE_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <algorithm>
#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"

// Notes on the contract of zip_archive.hpp:
// - entries() lists every entry in central-directory order, directory entries (names ending in
//   '/') included: callers match entries by base name and skip directories.
// - Only the central directory and the local headers are read when the archive is opened
//   (ZIP_CHECKCONS checks their consistency, not the data), so opening a 4 GiB archive is cheap.
//   The data is checked while it is read, and a corrupt entry fails on its last read at the
//   latest: a CRC-32 or size that differs from the directory's, or compressed data that does not
//   inflate, is kBadData naming the archive and the entry, never a crash or a hang.
// - Who inflates: deflated entries (method 8, not encrypted) are inflated by ISA-L's isal_inflate
//   when marquee is built with libisal (MARQUEE_HAVE_ISAL), 2.5 times as fast as zlib on
//   ratings.csv: libzip reads their raw compressed bytes (ZIP_FL_COMPRESSED, unchecked) and this
//   file checks the CRC-32 and the size at the end of the stream, with the same messages as the
//   libzip path, and fails a deflate stream that stops before its final block. Everything else
//   (stored entries, other methods, encrypted entries, every entry in a build without ISA-L) is
//   read by libzip (zlib for deflate), which checks the CRC-32 and the size itself.
// - Memory per open entry is fixed: ISA-L's state (about 90 KB) and a 256 KiB compressed buffer,
//   plus 64 KiB for callers that read less than that at a time; libzip's own buffers otherwise.
// - A source returned by open() shares ownership of the libzip handle, so it stays usable even
//   if the ZipArchive is destroyed first. Neither is safe to use from two threads at once.
// - A file that cannot be opened at all (missing, no permission) is ExitCode::kSource, like
//   format::open_file_source; anything wrong inside the file is ExitCode::kBadData.

namespace marquee::format {
namespace {

constexpr const char* kDownloadAgain = "the archive is corrupt; download it again";

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};

struct ZipFileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

using ZipFile = std::unique_ptr<zip_file_t, ZipFileCloser>;

std::string libzip_message(zip_error_t* error) {
  return zip_error_strerror(error);
}

/// What a libzip error code means for an entry's data, in the operator's words.
std::string describe_entry_error(int code, const std::string& detail) {
  switch (code) {
    case ZIP_ER_CRC:
      return "CRC mismatch";
    case ZIP_ER_ZLIB:
    case ZIP_ER_COMPRESSED_DATA:
      return fmt::format("invalid compressed data ({})", detail);
    case ZIP_ER_EOF:
    case ZIP_ER_INCONS:
      return fmt::format("truncated or inconsistent data ({})", detail);
    case ZIP_ER_COMPNOTSUPP:
      return fmt::format("unsupported compression method ({})", detail);
    case ZIP_ER_ENCRNOTSUPP:
    case ZIP_ER_NOPASSWD:
    case ZIP_ER_WRONGPASSWD:
      return fmt::format("the entry is encrypted ({})", detail);
    default:
      return detail;
  }
}

Error entry_error(const std::string& archive, const std::string& entry, const std::string& what) {
  return Error(ExitCode::kBadData,
               fmt::format("{}: entry {}: {} — {}", archive, entry, what, kDownloadAgain));
}

/// What the sources of both inflaters share: the archive they keep open and their messages.
class EntrySource : public ByteSource {
 public:
  EntrySource(std::shared_ptr<zip_t> archive, const std::string& archive_name,
              const ZipEntry& entry)
      : archive_(std::move(archive)),
        archive_name_(archive_name),
        entry_(entry),
        name_(fmt::format("{} in {}", entry.name, archive_name)) {}

  const std::string& name() const override { return name_; }

 protected:
  Error fail(const std::string& what) const {
    return entry_error(archive_name_, entry_.name, what);
  }

  Error fail_with_libzip_error(zip_error_t* error) const {
    return fail(describe_entry_error(zip_error_code_zip(error), libzip_message(error)));
  }

  /// `flags` 0 gives the entry's bytes, inflated and checked by libzip; ZIP_FL_COMPRESSED gives
  /// them as stored in the archive, unchecked.
  ZipFile open_file(zip_flags_t flags) const {
    ZipFile file(zip_fopen_index(archive_.get(), entry_.index, flags));
    if (!file) {
      throw fail_with_libzip_error(zip_get_error(archive_.get()));
    }
    return file;
  }

  Error more_data_than_declared() const {
    return fail(fmt::format("more data than the {} bytes the directory declares", entry_.size));
  }

  std::shared_ptr<zip_t> archive_;  // declared first: the file handles must close before it
  std::string archive_name_;
  ZipEntry entry_;
  std::string name_;
};

/// An entry read by libzip: stored, deflated by zlib in a build without ISA-L, or anything that
/// libzip reports as unsupported or encrypted when it is opened.
class LibzipEntrySource final : public EntrySource {
 public:
  LibzipEntrySource(std::shared_ptr<zip_t> archive, const std::string& archive_name,
                    const ZipEntry& entry)
      : EntrySource(std::move(archive), archive_name, entry), file_(open_file(0)) {}

  std::size_t read(std::span<char> buf) override {
    if (done_ || buf.empty()) {
      return 0;
    }
    zip_int64_t n = zip_fread(file_.get(), buf.data(), buf.size());
    if (n < 0) {
      throw fail_with_libzip_error(zip_file_get_error(file_.get()));
    }
    read_ += static_cast<std::uint64_t>(n);
    if (read_ > entry_.size) {
      throw more_data_than_declared();
    }
    if (n == 0) {
      // libzip checks CRC and size itself; this guards the size for any path it does not cover.
      if (read_ != entry_.size) {
        throw fail(fmt::format("truncated data ({} of {} bytes)", read_, entry_.size));
      }
      done_ = true;
    }
    return static_cast<std::size_t>(n);
  }

 private:
  ZipFile file_;
  std::uint64_t read_ = 0;
  bool done_ = false;
};

#ifdef MARQUEE_HAVE_ISAL

/// Compressed bytes read from the archive at a time: few enough calls into libzip that they cost
/// nothing next to inflating.
constexpr std::size_t kCompressedChunk = std::size_t{256} << 10;
/// Reads of less than this are served from an output buffer of this size: isal_inflate into a
/// few bytes at a time would copy its 32 KiB window aside on every call.
constexpr std::size_t kOutputChunk = std::size_t{64} << 10;
/// isal_inflate counts output in 32 bits.
constexpr std::size_t kMaxOutputPerCall = std::size_t{1} << 30;

std::string isal_message(int code) {
  switch (code) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "back-reference before the start of the data";
    default:
      return fmt::format("ISA-L inflate error {}", code);
  }
}

/// A deflated entry inflated by ISA-L from its raw compressed bytes, which libzip reads without
/// checking them: the end of the stream, the CRC-32 and the size are checked here.
class IsalEntrySource final : public EntrySource {
 public:
  IsalEntrySource(std::shared_ptr<zip_t> archive, const std::string& archive_name,
                  const ZipEntry& entry, bool crc_declared)
      : EntrySource(std::move(archive), archive_name, entry),
        file_(open_file(ZIP_FL_COMPRESSED)),
        crc_declared_(crc_declared),
        state_(std::make_unique<inflate_state>()),
        compressed_(std::make_unique<std::uint8_t[]>(kCompressedChunk)) {
    isal_inflate_init(state_.get());
    // ZIP entries are raw deflate; the gzip flavour without header or trailer keeps the CRC-32
    // of the output in state_->crc, which ISA-L computes faster than zlib.
    state_->crc_flag = ISAL_GZIP_NO_HDR;
    state_->next_in = compressed_.get();
    state_->avail_in = 0;
  }

  std::size_t read(std::span<char> buf) override {
    if (buf.empty()) {
      return 0;
    }
    if (pending_.empty()) {
      if (finished_) {
        return 0;
      }
      if (buf.size() >= kOutputChunk) {
        return inflate({reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()});
      }
      if (!small_reads_) {
        small_reads_ = std::make_unique<std::uint8_t[]>(kOutputChunk);
      }
      pending_ = {small_reads_.get(), inflate({small_reads_.get(), kOutputChunk})};
    }
    const std::size_t n = std::min(buf.size(), pending_.size());
    std::memcpy(buf.data(), pending_.data(), n);
    pending_ = pending_.subspan(n);
    return n;
  }

 private:
  /// Inflates into `out` until there is some output or the stream has ended and been checked;
  /// returns how many bytes it wrote (0 only at the end).
  std::size_t inflate(std::span<std::uint8_t> out) {
    const auto room = static_cast<std::uint32_t>(std::min(out.size(), kMaxOutputPerCall));
    for (;;) {
      if (state_->avail_in == 0 && !input_ended_) {
        refill();
      }
      const std::uint32_t avail_in_before = state_->avail_in;
      state_->next_out = out.data();
      state_->avail_out = room;
      const int status = isal_inflate(state_.get());
      if (status < 0) {
        throw fail(fmt::format("invalid compressed data ({})", isal_message(status)));
      }
      const std::size_t n = room - state_->avail_out;
      inflated_ += n;
      if (inflated_ > entry_.size) {
        throw more_data_than_declared();
      }
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        check_end();
        return n;
      }
      if (n > 0) {
        return n;
      }
      if (state_->avail_in == avail_in_before) {
        // No output and no input taken: ISA-L needs more input than it has (it leaves a symbol
        // that straddles the end of the buffer unconsumed). Past the end, the stream is cut.
        if (input_ended_) {
          throw fail(fmt::format(
              "truncated data ({} of {} bytes; the compressed data ends before its last block)",
              inflated_, entry_.size));
        }
        refill();
      }
    }
  }

  /// Moves what ISA-L has not consumed to the front of the buffer and reads more behind it.
  void refill() {
    const std::size_t kept = state_->avail_in;
    std::memmove(compressed_.get(), state_->next_in, kept);
    zip_int64_t n = zip_fread(file_.get(), compressed_.get() + kept, kCompressedChunk - kept);
    if (n < 0) {
      throw fail_with_libzip_error(zip_file_get_error(file_.get()));
    }
    if (n == 0) {
      input_ended_ = true;
    }
    state_->next_in = compressed_.get();
    state_->avail_in = static_cast<std::uint32_t>(kept + static_cast<std::size_t>(n));
  }

  /// The checks libzip makes at the end of an entry, in its order: CRC-32 first, then size.
  void check_end() {
    if (crc_declared_ && state_->crc != entry_.crc) {
      throw fail("CRC mismatch");
    }
    if (inflated_ != entry_.size) {
      throw fail(fmt::format("truncated data ({} of {} bytes)", inflated_, entry_.size));
    }
    finished_ = true;
  }

  ZipFile file_;
  bool crc_declared_;
  std::unique_ptr<inflate_state> state_;
  std::unique_ptr<std::uint8_t[]> compressed_;
  std::unique_ptr<std::uint8_t[]> small_reads_;  // allocated on the first read below kOutputChunk
  std::span<const std::uint8_t> pending_;        // inflated into small_reads_, not yet read
  std::uint64_t inflated_ = 0;
  bool input_ended_ = false;
  bool finished_ = false;
};

#endif  // MARQUEE_HAVE_ISAL

std::unique_ptr<ByteSource> open_entry_source(const std::shared_ptr<zip_t>& archive,
                                              const std::string& archive_name,
                                              const ZipEntry& entry) {
#ifdef MARQUEE_HAVE_ISAL
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive.get(), entry.index, 0, &st) == 0 &&
      (st.valid & ZIP_STAT_COMP_METHOD) != 0 && st.comp_method == ZIP_CM_DEFLATE &&
      (st.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && st.encryption_method == ZIP_EM_NONE) {
    return std::make_unique<IsalEntrySource>(archive, archive_name, entry,
                                             (st.valid & ZIP_STAT_CRC) != 0);
  }
#endif
  return std::make_unique<LibzipEntrySource>(archive, archive_name, entry);
}

}  // namespace

struct ZipArchive::Impl {
  std::filesystem::path path;
  std::string display;
  std::shared_ptr<zip_t> archive;
  std::vector<ZipEntry> entries;
};

ZipArchive::ZipArchive(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->display = path.string();
  const std::string& name = impl_->display;

  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw Error(ExitCode::kSource, fmt::format("cannot open archive {}: {}; check the path", name,
                                               ec ? ec.message() : "no such file"));
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw Error(ExitCode::kBadData,
                fmt::format("{} is not a regular file, not a ZIP archive", name));
  }
  if (std::filesystem::file_size(path, ec) == 0 && !ec) {
    // libzip opens an empty file as an empty archive; for us it is a failed download.
    throw Error(ExitCode::kBadData,
                fmt::format("{} is empty, not a ZIP archive; download it again", name));
  }

  int code = 0;
  zip_t* raw = zip_open(name.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (raw == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string detail = libzip_message(&error);
    zip_error_fini(&error);
    switch (code) {
      case ZIP_ER_OPEN:
      case ZIP_ER_NOENT:
        throw Error(ExitCode::kSource,
                    fmt::format("cannot open archive {}: {}; check the path and its permissions",
                                name, detail));
      case ZIP_ER_NOZIP:
        throw Error(ExitCode::kBadData,
                    fmt::format("{} is not a ZIP archive (no end of central directory: not a zip, "
                                "or truncated); download it again",
                                name));
      default:
        throw Error(ExitCode::kBadData, fmt::format("{}: cannot read the ZIP directory ({}) — {}",
                                                    name, detail, kDownloadAgain));
    }
  }
  impl_->archive = std::shared_ptr<zip_t>(raw, ZipCloser{});

  zip_int64_t count = zip_get_num_entries(raw, 0);
  if (count < 0) {
    throw Error(ExitCode::kBadData,
                fmt::format("{}: cannot read the ZIP directory — {}", name, kDownloadAgain));
  }
  impl_->entries.reserve(static_cast<std::size_t>(count));
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(raw, i, 0, &st) != 0 || (st.valid & ZIP_STAT_NAME) == 0) {
      throw Error(ExitCode::kBadData, fmt::format("{}: entry #{}: unreadable directory record ({}) "
                                                  "— {}",
                                                  name, i, zip_strerror(raw), kDownloadAgain));
    }
    ZipEntry entry;
    entry.name = st.name;
    entry.index = i;
    entry.size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    entry.compressed_size = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    entry.crc = (st.valid & ZIP_STAT_CRC) ? st.crc : 0;
    impl_->entries.push_back(std::move(entry));
  }
}

ZipArchive::~ZipArchive() = default;

const std::vector<ZipEntry>& ZipArchive::entries() const {
  return impl_->entries;
}

std::unique_ptr<ByteSource> ZipArchive::open(const ZipEntry& entry) const {
  if (entry.index >= impl_->entries.size() || impl_->entries[entry.index].name != entry.name) {
    throw Error(ExitCode::kBadData, fmt::format("{}: entry {}: not an entry of this archive",
                                                impl_->display, entry.name));
  }
  return open_entry_source(impl_->archive, impl_->display, impl_->entries[entry.index]);
}

const std::filesystem::path& ZipArchive::path() const {
  return impl_->path;
}

}  // namespace marquee::format
