#include "format/zip_archive.hpp"

#include <zip.h>

#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"

// Notes on the contract of zip_archive.hpp:
// - entries() lists every entry in central-directory order, directory entries (names ending in
//   '/') included: callers match entries by base name and skip directories.
// - Only the central directory and the local headers are read when the archive is opened
//   (ZIP_CHECKCONS checks their consistency, not the data), so opening a 4 GiB archive is cheap.
//   The data is checked while it is read: libzip verifies the CRC-32 and the size when an
//   entry's stream reaches its end, so a corrupt entry fails on its last read at the latest.
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

class ZipEntrySource final : public ByteSource {
 public:
  ZipEntrySource(std::shared_ptr<zip_t> archive, const std::string& archive_name,
                 const ZipEntry& entry)
      : archive_(std::move(archive)),
        archive_name_(archive_name),
        entry_(entry),
        name_(fmt::format("{} in {}", entry.name, archive_name)) {
    file_.reset(zip_fopen_index(archive_.get(), entry.index, 0));
    if (!file_) {
      zip_error_t* error = zip_get_error(archive_.get());
      int code = zip_error_code_zip(error);
      throw entry_error(archive_name_, entry_.name,
                        describe_entry_error(code, libzip_message(error)));
    }
  }

  std::size_t read(std::span<char> buf) override {
    if (done_ || buf.empty()) {
      return 0;
    }
    zip_int64_t n = zip_fread(file_.get(), buf.data(), buf.size());
    if (n < 0) {
      zip_error_t* error = zip_file_get_error(file_.get());
      int code = zip_error_code_zip(error);
      throw entry_error(archive_name_, entry_.name,
                        describe_entry_error(code, libzip_message(error)));
    }
    read_ += static_cast<std::uint64_t>(n);
    if (read_ > entry_.size) {
      throw entry_error(
          archive_name_, entry_.name,
          fmt::format("more data than the {} bytes the directory declares", entry_.size));
    }
    if (n == 0) {
      // libzip checks CRC and size itself; this guards the size for any path it does not cover.
      if (read_ != entry_.size) {
        throw entry_error(archive_name_, entry_.name,
                          fmt::format("truncated data ({} of {} bytes)", read_, entry_.size));
      }
      done_ = true;
    }
    return static_cast<std::size_t>(n);
  }

  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<zip_t> archive_;  // declared first: the file handle must close before it
  std::unique_ptr<zip_file_t, ZipFileCloser> file_;
  std::string archive_name_;
  ZipEntry entry_;
  std::string name_;
  std::uint64_t read_ = 0;
  bool done_ = false;
};

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
  return std::make_unique<ZipEntrySource>(impl_->archive, impl_->display,
                                          impl_->entries[entry.index]);
}

const std::filesystem::path& ZipArchive::path() const {
  return impl_->path;
}

}  // namespace marquee::format
