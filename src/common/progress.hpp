#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace marquee {

/// Progress of one long step (a file's load, the reports) for the operator: on a terminal a bar
/// on stderr, redrawn five times a second (records, MB/s, and with a known size the share done
/// and the time left); without one (cron, CI, a pipe) a log line every progress_interval()
/// while the step lasts, so a step of minutes is never silent. Counting is two relaxed atomic
/// additions, safe from any thread (the parsing thread counts as it goes).
class ProgressMeter {
 public:
  /// `what`: "movies_metadata.csv", `unit`: what is counted ("records", "rows"); `total_bytes`:
  /// the uncompressed size the bytes count towards, 0 when unknown.
  ProgressMeter(std::string what, std::string unit, std::uint64_t total_bytes);
  /// Stops the meter and clears the bar.
  ~ProgressMeter();
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  void add(std::uint64_t units, std::uint64_t bytes) {
    units_.fetch_add(units, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }

  /// One progress text: "movies_metadata.csv: 12,000 records, 9.1 of 33.4 MB (27%), 20.3 MB/s,
  /// about 1 s left". Public for the tests.
  static std::string describe(const std::string& what, const std::string& unit, std::uint64_t units,
                              std::uint64_t bytes, std::uint64_t total_bytes, double seconds);

 private:
  void run();
  std::string text() const;

  const std::string what_, unit_;
  const std::uint64_t total_bytes_;
  const bool bar_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> units_{0}, bytes_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool drawn_ = false;
  std::thread ticker_;
};

/// How often progress shows: MARQUEE_PROGRESS_SECONDS (a positive number of seconds), else a
/// bar is redrawn every 0.2 s and a progress line logged every 10 s.
std::chrono::milliseconds progress_interval(bool bar = false);

/// Whether progress shows as a bar: stderr is a terminal, the terminal shows info lines (not
/// --quiet), the log is text and TERM is not "dumb". Set by setup_logging.
bool progress_bar_on_terminal();
void set_progress_bar_on_terminal(bool on);

}  // namespace marquee
