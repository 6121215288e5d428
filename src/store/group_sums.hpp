#pragma once

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"

namespace marquee::store {

/// A group's key (K integers) and its sums (V integers).
template <std::size_t K, std::size_t V>
struct GroupRow {
  std::array<std::int64_t, K> key{};
  std::array<std::int64_t, V> sums{};
};

/// Rows added in any order, given back once per key in key order with the sums of its rows
/// added up (a GROUP BY … ORDER BY of SUMs), in memory bounded by `memory_bytes`: each key's
/// sums are kept once, found by a hash of the key; when the keys held reach the bound they are
/// sorted and written to a temporary file as a run, and the runs are merged at the end. A sum
/// that leaves 64 bits is an Error naming `what`, where SQL's SUM fails with "integer overflow".
template <std::size_t K, std::size_t V>
class GroupSums {
 public:
  using Row = GroupRow<K, V>;

  GroupSums(std::string what, std::size_t memory_bytes)
      : what_(std::move(what)),
        limit_(
            std::max<std::size_t>(memory_bytes / (sizeof(Row) + 2 * sizeof(std::uint32_t)), 64)) {}
  GroupSums(const GroupSums&) = delete;
  GroupSums& operator=(const GroupSums&) = delete;

  void add(const Row& row) {
    if (slots_.empty()) make_room();
    for (;;) {
      const std::size_t mask = slots_.size() - 1;
      std::size_t at = hash(row.key) & mask;
      for (; slots_[at] != 0; at = (at + 1) & mask) {
        Row& kept = rows_[slots_[at] - 1];
        if (kept.key == row.key) {
          add_into(kept, row);
          return;
        }
      }
      if (rows_.size() < limit_ && (rows_.size() + 1) * 2 <= slots_.size()) {
        rows_.push_back(row);
        slots_[at] = static_cast<std::uint32_t>(rows_.size());
        return;
      }
      make_room();  // then look again: the slots moved
    }
  }

  /// Calls emit(const Row&) for each key, in key order; the rows are gone after it.
  template <typename Emit>
  void finish(Emit&& emit) {
    std::sort(rows_.begin(), rows_.end(), key_less);
    if (runs_.empty()) {
      for (const Row& row : rows_) emit(row);
    } else {
      spill();
      merge(emit);
    }
    rows_ = {};
    slots_ = {};
    runs_.clear();
    file_.reset();
  }

  /// Sorted runs written to the temporary file so far (for tests and the log).
  std::size_t spilled_runs() const { return spilled_; }

 private:
  struct CloseFile {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  struct Run {
    std::uint64_t first = 0;  ///< its first row's index in the file
    std::uint64_t rows = 0;
  };
  /// A run being merged: its next rows, read a buffer at a time.
  struct Cursor {
    Run run;
    std::vector<Row> buffer;
    std::size_t at = 0;
  };

  static bool key_less(const Row& a, const Row& b) { return a.key < b.key; }

  void add_into(Row& into, const Row& row) const {
    for (std::size_t i = 0; i < V; ++i) {
      if (__builtin_add_overflow(into.sums[i], row.sums[i], &into.sums[i])) {
        throw Error(ExitCode::kDatabase,
                    fmt::format("{}: a sum of one group passes 64 bits (integer overflow); the "
                                "values are split into units of 10^9 so that this needs absurd "
                                "input, check the source",
                                what_));
      }
    }
  }

  static std::size_t hash(const std::array<std::int64_t, K>& key) {
    std::uint64_t h = 0;
    for (std::int64_t k : key) {
      h = (h ^ static_cast<std::uint64_t>(k)) * 0x9E3779B97F4A7C15ULL;
      h ^= h >> 29;
    }
    return static_cast<std::size_t>(h);
  }

  /// Room for one more key: the slots double (at most half of them used) until the keys held
  /// reach the bound; at the bound the keys held go to the file as a sorted run.
  void make_room() {
    if (rows_.size() >= limit_) {
      std::sort(rows_.begin(), rows_.end(), key_less);
      spill();
      std::fill(slots_.begin(), slots_.end(), 0);
      return;
    }
    // Reserved whole at once, never moved: pages count in the resident memory only once used.
    if (rows_.capacity() < limit_) rows_.reserve(limit_);
    const std::size_t size = std::max<std::size_t>(slots_.size() * 2, 64);
    slots_.assign(size, 0);
    const std::size_t mask = size - 1;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      std::size_t at = hash(rows_[i].key) & mask;
      while (slots_[at] != 0) at = (at + 1) & mask;
      slots_[at] = static_cast<std::uint32_t>(i + 1);
    }
  }

  /// Writes the rows, sorted, as a run.
  void spill() {
    if (rows_.empty()) return;
    if (!file_) file_ = temporary_file();
    if (std::fwrite(rows_.data(), sizeof(Row), rows_.size(), file_.get()) != rows_.size() ||
        std::fflush(file_.get()) != 0) {
      fail("cannot write its temporary file");
    }
    runs_.push_back(Run{written_, rows_.size()});
    written_ += rows_.size();
    ++spilled_;
    rows_.clear();
  }

  /// A file of its own in $TMPDIR (/tmp if unset), where SQLite keeps its temporary files too;
  /// unlinked at once, so it goes with the process whatever happens.
  std::unique_ptr<std::FILE, CloseFile> temporary_file() const {
    const char* dir = std::getenv("TMPDIR");
    std::string path =
        fmt::format("{}/marquee-groups-XXXXXX", dir != nullptr && *dir != 0 ? dir : "/tmp");
    const int fd = ::mkstemp(path.data());
    if (fd < 0)
      fail(fmt::format("cannot create a temporary file in {}", path.substr(0, path.rfind('/'))));
    ::unlink(path.c_str());
    std::unique_ptr<std::FILE, CloseFile> file(::fdopen(fd, "w+b"));
    if (!file) {
      ::close(fd);
      fail("cannot open its temporary file");
    }
    return file;
  }

  [[noreturn]] void fail(std::string_view doing) const {
    throw Error(ExitCode::kDatabase,
                fmt::format("{}: {} ({}); the groups of a large load are sorted in runs on disk, "
                            "free space in the temporary folder (TMPDIR) and run again",
                            what_, doing, std::strerror(errno)));
  }

  /// Refills a cursor's buffer from its run; false when the run is read.
  bool refill(Cursor& c) const {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(c.run.rows, kMergeRows));
    c.at = 0;
    c.buffer.resize(n);
    if (n == 0) return false;
    const std::size_t bytes = n * sizeof(Row);
    auto* data = reinterpret_cast<char*>(c.buffer.data());
    std::size_t done = 0;
    const off_t at = static_cast<off_t>(c.run.first * sizeof(Row));
    while (done < bytes) {
      ssize_t got =
          ::pread(fileno(file_.get()), data + done, bytes - done, at + static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      if (got == 0) errno = EIO;  // shorter than written
      if (got <= 0) fail("cannot read its temporary file back");
      done += static_cast<std::size_t>(got);
    }
    c.run.first += n;
    c.run.rows -= n;
    return true;
  }

  template <typename Emit>
  void merge(Emit& emit) {
    rows_ = {};  // the spilled rows are on disk: their memory goes to the cursors
    slots_ = {};
    std::vector<Cursor> cursors(runs_.size());
    auto later = [&](std::size_t a, std::size_t b) {
      return key_less(cursors[b].buffer[cursors[b].at], cursors[a].buffer[cursors[a].at]);
    };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
    for (std::size_t i = 0; i < runs_.size(); ++i) {
      cursors[i].run = runs_[i];
      if (refill(cursors[i])) heap.push(i);
    }
    bool pending = false;
    Row group;
    while (!heap.empty()) {
      std::size_t i = heap.top();
      heap.pop();
      Cursor& c = cursors[i];
      const Row& row = c.buffer[c.at];
      if (pending && group.key == row.key) {
        add_into(group, row);
      } else {
        if (pending) emit(group);
        group = row;
        pending = true;
      }
      if (++c.at < c.buffer.size() || refill(c)) heap.push(i);
    }
    if (pending) emit(group);
  }

  static constexpr std::size_t kMergeRows = std::max<std::size_t>(65536 / sizeof(Row), 16);

  std::string what_;
  std::size_t limit_;
  std::vector<Row> rows_;             ///< each key held once, in the order first added
  std::vector<std::uint32_t> slots_;  ///< open addressing: 1 + the key's index in rows_, 0 free
  std::unique_ptr<std::FILE, CloseFile> file_;
  std::vector<Run> runs_;
  std::uint64_t written_ = 0;
  std::size_t spilled_ = 0;
};

}  // namespace marquee::store
