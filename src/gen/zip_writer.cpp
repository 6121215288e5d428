#include "gen/zip_writer.hpp"

#include <zip.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <string>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "gen/zip_file_sink.hpp"

namespace marquee::gen {
namespace {

/// The entries' modification time: the real dataset's last version, 2017-11-10 00:00. ZIP keeps
/// local time and libzip converts with localtime(), so the instant is taken in local time too:
/// the archive is then byte-identical for a seed whatever the time zone.
std::time_t entry_time() {
  std::tm local{};
  local.tm_year = 2017 - 1900;
  local.tm_mon = 10;
  local.tm_mday = 10;
  local.tm_isdst = -1;
  return std::mktime(&local);
}

/// One entry as libzip reads it: the bytes of its producer, a chunk at a time.
struct EntrySource {
  explicit EntrySource(CsvProducer& p) : producer(p) { zip_error_init(&error); }
  ~EntrySource() { zip_error_fini(&error); }
  EntrySource(const EntrySource&) = delete;
  EntrySource& operator=(const EntrySource&) = delete;

  CsvProducer& producer;
  std::string buffer;
  std::size_t offset = 0;
  bool finished = false;
  zip_error_t error;
  std::exception_ptr failure;
};

zip_int64_t read_entry(EntrySource& source, char* data, zip_uint64_t len) {
  zip_uint64_t copied = 0;
  while (copied < len) {
    if (source.offset == source.buffer.size()) {
      if (source.finished) {
        break;
      }
      source.buffer.clear();
      source.offset = 0;
      if (!source.producer.produce(source.buffer)) {
        source.finished = true;
        break;
      }
    }
    std::size_t n = std::min<std::size_t>(len - copied, source.buffer.size() - source.offset);
    std::copy_n(source.buffer.data() + source.offset, n, data + copied);
    source.offset += n;
    copied += n;
  }
  return static_cast<zip_int64_t>(copied);
}

zip_int64_t entry_callback(void* state, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
  auto& source = *static_cast<EntrySource*>(state);
  try {
    switch (cmd) {
      case ZIP_SOURCE_OPEN:
        source.producer.restart();
        source.buffer.clear();
        source.offset = 0;
        source.finished = false;
        return 0;
      case ZIP_SOURCE_READ:
        return read_entry(source, static_cast<char*>(data), len);
      case ZIP_SOURCE_CLOSE:
        return 0;
      case ZIP_SOURCE_STAT: {
        auto* st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &source.error);
        if (st == nullptr) {
          return -1;
        }
        zip_stat_init(st);
        st->mtime = entry_time();
        st->valid |= ZIP_STAT_MTIME;  // no size: libzip writes ZIP64 sizes when it needs them
        return sizeof(zip_stat_t);
      }
      case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&source.error, data, len);
      case ZIP_SOURCE_FREE:
        return 0;
      case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              -1);
      default:
        zip_error_set(&source.error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
  } catch (...) {
    source.failure = std::current_exception();
    zip_error_set(&source.error, ZIP_ER_INTERNAL, 0);
    return -1;
  }
}

/// The archive being written, discarded unless closed; failures name the file and the cause.
class ZipWriter {
 public:
  explicit ZipWriter(const std::filesystem::path& file) : file_(file), sink_(file) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = sink_.make_source(&error);
    if (source != nullptr) {
      archive_ = zip_open_from_source(source, ZIP_CREATE | ZIP_TRUNCATE, &error);
      if (archive_ == nullptr) {
        zip_source_free(source);
      }
    }
    std::string detail = zip_error_strerror(&error);
    zip_error_fini(&error);
    if (archive_ == nullptr) {
      throw Error(ExitCode::kUsage, fmt::format("cannot create {}: {}", file_.string(), detail));
    }
  }
  ~ZipWriter() {
    if (archive_ != nullptr) {
      zip_discard(archive_);
    }
  }
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  void add(EntrySource& source) {
    zip_source_t* zs = zip_source_function(archive_, entry_callback, &source);
    if (zs == nullptr) {
      fail("zip_source_function");
    }
    std::string name(source.producer.entry_name());
    zip_int64_t index = zip_file_add(archive_, name.c_str(), zs, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(zs);
      fail("adding " + name);
    }
    // Level 1: scale 1 deflates in about a second and still shrinks the CSVs several times.
    auto at = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(archive_, at, ZIP_CM_DEFLATE, 1) != 0 ||
        zip_file_set_mtime(archive_, at, entry_time(), 0) != 0) {
      fail("setting up " + name);
    }
  }

  /// Deflates every entry and writes the central directory.
  void close(const std::vector<std::unique_ptr<EntrySource>>& sources) {
    if (zip_close(archive_) == 0) {
      archive_ = nullptr;
      return;
    }
    for (const auto& source : sources) {
      if (source->failure) {
        std::rethrow_exception(source->failure);
      }
    }
    fail("writing the archive");
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw Error(ExitCode::kUsage,
                fmt::format("cannot write {}: {} ({}); {}", file_.string(), what,
                            zip_strerror(archive_), write_hint(sink_.system_error(), folder())));
  }

  std::filesystem::path folder() const {
    return file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
  }

  std::filesystem::path file_;
  ZipFileSink sink_;
  zip_t* archive_ = nullptr;
};

}  // namespace

void write_zip(const std::filesystem::path& file,
               const std::vector<std::unique_ptr<CsvProducer>>& producers) {
  std::vector<std::unique_ptr<EntrySource>> sources;
  for (const auto& producer : producers) {
    sources.push_back(std::make_unique<EntrySource>(*producer));
  }
  ZipWriter writer(file);
  for (auto& source : sources) {
    writer.add(*source);
  }
  writer.close(sources);
}

}  // namespace marquee::gen
