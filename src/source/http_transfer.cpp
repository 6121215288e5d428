#include "source/http_transfer.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "source/redact.hpp"
#include "source/retry.hpp"

namespace marquee::source::detail {
namespace {

constexpr std::size_t kErrorBodyLimit = 64 * 1024;
constexpr std::size_t kSmallBodyLimit = 64 * 1024 * 1024;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// Collects the headers of the last response (a redirect or a 100 Continue starts over).
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    response->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

struct BodyBuffer {
  std::string* body;
  std::size_t limit;
  bool abort_at_first_byte = false;
  bool aborted = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* buffer = static_cast<BodyBuffer*>(user);
  if (buffer->abort_at_first_byte) {
    buffer->aborted = true;
    return 0;
  }
  std::size_t room = buffer->limit - std::min(buffer->limit, buffer->body->size());
  buffer->body->append(data, std::min(room, size * count));
  return size * count;
}

/// What the operator sees while a download runs: a bar on a terminal, else a log line now and
/// then.
class ProgressMeter {
 public:
  ProgressMeter(std::string what, std::optional<std::uint64_t> total, bool want_bar)
      : what_(std::move(what)),
        total_(total),
        bar_(want_bar && isatty(STDERR_FILENO)),
        start_(std::chrono::steady_clock::now()),
        last_(start_) {}

  ~ProgressMeter() {
    if (bar_ && drawn_) std::fputs("\n", stderr);
  }

  /// `done`: bytes of the file so far; `fetched`: of them, received in this run.
  void update(std::uint64_t done, std::uint64_t fetched) {
    auto now = std::chrono::steady_clock::now();
    auto interval = bar_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(15'000);
    if (now - last_ < interval) return;
    last_ = now;
    double seconds = std::chrono::duration<double>(now - start_).count();
    double rate = seconds > 0 ? static_cast<double>(fetched) / seconds : 0;
    std::string eta = "?";
    if (total_ && rate > 0 && *total_ >= done) {
      auto left = static_cast<long long>(static_cast<double>(*total_ - done) / rate);
      eta = fmt::format("{}:{:02}:{:02}", left / 3600, left / 60 % 60, left % 60);
    }
    if (bar_) {
      draw_bar(done, rate, eta);
    } else if (total_) {
      spdlog::info("download {}: {} of {} ({:.0f}%), {}/s, ETA {}", what_, human(done),
                   human(*total_), 100.0 * static_cast<double>(done) / static_cast<double>(*total_),
                   human(static_cast<std::uint64_t>(rate)), eta);
    } else {
      spdlog::info("download {}: {}, {}/s", what_, human(done),
                   human(static_cast<std::uint64_t>(rate)));
    }
  }

 private:
  static std::string human(std::uint64_t bytes) {
    constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
      value /= 1024;
      ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
  }

  void draw_bar(std::uint64_t done, double rate, const std::string& eta) {
    constexpr int kWidth = 30;
    std::string bar;
    if (total_ && *total_ > 0) {
      int filled = static_cast<int>(
          kWidth * std::min(1.0, static_cast<double>(done) / static_cast<double>(*total_)));
      bar = fmt::format("[{}{}] {:3.0f}% {} / {}", std::string(filled, '#'),
                        std::string(kWidth - filled, ' '),
                        100.0 * static_cast<double>(done) / static_cast<double>(*total_),
                        human(done), human(*total_));
    } else {
      bar = human(done);
    }
    std::fprintf(stderr, "\r%s  %s/s  ETA %s   ", bar.c_str(),
                 human(static_cast<std::uint64_t>(rate)).c_str(), eta.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  std::string what_;
  std::optional<std::uint64_t> total_;
  bool bar_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

/// The lists libcurl reads during the transfer, so they must outlive it.
struct RequestLists {
  CurlList headers;
  CurlList connect_to;
};

/// libcurl's progress callback: a non-zero return aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int on_transfer_info(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(cancelled))() ? 1 : 0;
}

/// Sets what every request shares.
void configure(CURL* curl, const HttpRequest& request, const TransferOptions& options,
               RequestLists& lists, char* error_buffer, HttpResponse* response) {
  if (options.cancelled) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_transfer_info);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &options.cancelled);
  }
  CurlList& list = lists.headers;
  CurlList& connect_to = lists.connect_to;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "marquee");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count() * 1000));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, response);
  for (const auto& header : request.headers) {
    curl_slist* grown = curl_slist_append(list.get(), header.c_str());
    if (!grown) throw std::bad_alloc();
    if (!list) list.reset(grown);
  }
  if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.get());
  if (request.sigv4) {
    std::string provider =
        fmt::format("aws:amz:{}:{}", request.sigv4->region, request.sigv4->service);
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, provider.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, request.sigv4->access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, request.sigv4->secret_access_key.c_str());
  }
  if (!request.connect_to.empty()) {
    connect_to.reset(curl_slist_append(nullptr, request.connect_to.c_str()));
    if (!connect_to) throw std::bad_alloc();
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to.get());
  }
}

/// libcurl's words for a failure; its error buffer may quote a URL (a redirect's, a proxy's),
/// so that is redacted like any source.
std::string curl_message(CURLcode code, const char* error_buffer) {
  return error_buffer[0] ? redacted_text(error_buffer) : std::string(curl_easy_strerror(code));
}

/// What a resumed .part must still match: a strong ETag, else Last-Modified with the size;
/// empty when the server gives neither (then a .part always starts over).
std::string validator_of(const ObjectInfo& info) {
  if (!info.etag.empty() && !info.etag.starts_with("W/")) return "etag " + info.etag;
  if (!info.last_modified.empty() && info.size) {
    return fmt::format("modified {} size {}", info.last_modified, *info.size);
  }
  return {};
}

std::string read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return trim(text);
}

void write_state(const std::filesystem::path& part, const std::string& validator) {
  auto path = part_state_path(part);
  std::error_code ignored;
  if (validator.empty()) {
    std::filesystem::remove(path, ignored);
    return;
  }
  auto temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << validator << "\n";
    if (!out) {
      throw Error(ExitCode::kSource,
                  fmt::format("cannot write {}: {}; check the staging folder's permissions and "
                              "free space",
                              temp.string(), std::strerror(errno)));
    }
  }
  std::filesystem::rename(temp, path);
}

class PartFile {
 public:
  explicit PartFile(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("open");
  }
  ~PartFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  std::uint64_t size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail("stat");
    return static_cast<std::uint64_t>(st.st_size);
  }
  void truncate(std::uint64_t length) {
    if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) fail("truncate");
    if (::lseek(fd_, static_cast<off_t>(length), SEEK_SET) < 0) fail("seek");
  }
  /// Positions at the end for appending.
  void seek_end() {
    if (::lseek(fd_, 0, SEEK_END) < 0) fail("seek");
  }
  bool write_all(const char* data, std::size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = std::strerror(errno);
        return false;
      }
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }
  const std::string& error() const { return error_; }
  [[noreturn]] void fail(const char* what) const {
    throw Error(ExitCode::kSource,
                fmt::format("cannot {} {}: {}; check the staging folder's permissions and free "
                            "space",
                            what, path_.string(), std::strerror(errno)));
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::string error_;
};

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

struct ContentRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> total;
};

/// "bytes 100-199/1000"
std::optional<ContentRange> parse_content_range(const std::string& value) {
  if (!value.starts_with("bytes ")) return std::nullopt;
  auto dash = value.find('-', 6);
  auto slash = value.find('/', 6);
  if (dash == std::string::npos || slash == std::string::npos || dash > slash) return std::nullopt;
  auto first = parse_u64(value.substr(6, dash - 6));
  if (!first) return std::nullopt;
  return ContentRange{*first, parse_u64(value.substr(slash + 1))};
}

/// The write side of one download attempt: decides at the first body byte whether the response
/// continues the .part, replaces it, or must be refused.
struct AttemptSink {
  enum class Verdict { kUndecided, kWrite, kErrorBody, kObjectChanged, kRangeMismatch, kIoError };

  CURL* curl = nullptr;
  PartFile* file = nullptr;
  const ObjectInfo* expected = nullptr;
  HttpResponse* response = nullptr;
  ProgressMeter* progress = nullptr;
  std::uint64_t offset = 0;  ///< bytes in the file when the attempt began
  std::uint64_t written = 0;
  std::uint64_t fetched_before = 0;
  Verdict verdict = Verdict::kUndecided;

  Verdict decide() {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (!is_success(status)) return Verdict::kErrorBody;
    std::string etag = strip_etag_quotes(response->header("etag"));
    if (!expected->etag.empty() && !etag.empty() && etag != expected->etag) {
      return Verdict::kObjectChanged;
    }
    if (status == 206) {
      auto range = parse_content_range(response->header("content-range"));
      if (!range || range->first != offset) return Verdict::kRangeMismatch;
    } else if (offset > 0) {
      // The server ignored the Range header and sends the whole object: start over.
      file->truncate(0);
      offset = 0;
    }
    return Verdict::kWrite;
  }
};

std::size_t on_download_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<AttemptSink*>(user);
  std::size_t bytes = size * count;
  if (sink->verdict == AttemptSink::Verdict::kUndecided) sink->verdict = sink->decide();
  switch (sink->verdict) {
    case AttemptSink::Verdict::kWrite:
      if (!sink->file->write_all(data, bytes)) {
        sink->verdict = AttemptSink::Verdict::kIoError;
        return 0;
      }
      sink->written += bytes;
      sink->progress->update(sink->offset + sink->written, sink->fetched_before + sink->written);
      return bytes;
    case AttemptSink::Verdict::kErrorBody: {
      std::size_t room = kErrorBodyLimit - std::min(kErrorBodyLimit, sink->response->body.size());
      sink->response->body.append(data, std::min(room, bytes));
      return bytes;
    }
    default:
      return 0;
  }
}

std::optional<std::chrono::seconds> retry_after_of(const HttpResponse& response) {
  constexpr std::uint64_t kLongestHonoured = 24 * 3600;
  auto seconds = parse_u64(response.header("retry-after"));
  if (!seconds) return std::nullopt;
  return std::chrono::seconds(std::min(*seconds, kLongestHonoured));
}

/// What one download attempt came to.
struct AttemptResult {
  CURLcode code = CURLE_OK;
  std::string curl_error;  ///< libcurl's message when code is not CURLE_OK
  HttpResponse response;
  AttemptSink::Verdict verdict = AttemptSink::Verdict::kUndecided;
  std::uint64_t offset = 0;      ///< bytes in the file when the attempt began
  std::uint64_t size_after = 0;  ///< bytes in the file when it ended

  bool progressed() const { return size_after > offset; }
};

/// One download_resumable call: the .part, the object it must become, and the retries of the
/// attempts in a row that added no byte.
class ResumableDownload {
 public:
  ResumableDownload(const std::function<HttpRequest()>& make, const std::filesystem::path& part,
                    const ObjectInfo& expected, const TransferOptions& options)
      : make_(make),
        part_(part),
        options_(options),
        target_(expected),
        file_(part),
        resumed_from_(keep_or_discard_part(file_, part, target_)),
        what_(make().what),
        progress_(what_, target_.size, options.progress),
        budget_(options) {
    outcome_.report.resumed_from = resumed_from_;
  }

  DownloadOutcome run() {
    if (resumed_from_ > 0) {
      spdlog::info("download {}: resuming a .part at byte {}", what_, resumed_from_);
    }
    for (bool first = true;; first = false) {
      std::uint64_t offset = file_.size();
      if (first && offset > 0 && target_.size && offset == *target_.size) break;
      AttemptResult result = attempt(offset);
      Next next = judge(result);
      if (next == Next::kRefused) return outcome_;
      if (next == Next::kComplete) break;
    }
    outcome_.report.object = target_;
    if (!outcome_.report.object.size) outcome_.report.object.size = file_.size();
    return outcome_;
  }

 private:
  enum class Next { kAgain, kComplete, kRefused };

  /// The resume decision: a .part is kept only when the validator recorded beside it is the
  /// object's and it is not longer than the object; otherwise it starts from zero. Records the
  /// object's validator for the next run either way. Returns the bytes kept.
  static std::uint64_t keep_or_discard_part(PartFile& file, const std::filesystem::path& part,
                                            const ObjectInfo& target) {
    std::string validator = validator_of(target);
    std::uint64_t existing = file.size();
    bool can_resume = existing > 0 && !validator.empty() &&
                      read_small_file(part_state_path(part)) == validator &&
                      (!target.size || existing <= *target.size);
    if (!can_resume) file.truncate(0);
    write_state(part, validator);
    return can_resume ? existing : 0;
  }

  /// One GET, from `offset` on with a Range header when the file holds bytes already.
  AttemptResult attempt(std::uint64_t offset) {
    file_.seek_end();
    HttpRequest request = make_();
    if (offset > 0) request.headers.push_back(fmt::format("Range: bytes={}-", offset));
    CurlHandle curl(curl_easy_init());
    if (!curl) throw std::bad_alloc();
    AttemptResult result;
    result.offset = offset;
    RequestLists lists;
    char error_buffer[CURL_ERROR_SIZE] = {};
    configure(curl.get(), request, options_, lists, error_buffer, &result.response);
    AttemptSink sink;
    sink.curl = curl.get();
    sink.file = &file_;
    sink.expected = &target_;
    sink.response = &result.response;
    sink.progress = &progress_;
    sink.offset = offset;
    sink.fetched_before = outcome_.report.fetched;
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_download_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);

    result.code = curl_easy_perform(curl.get());
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.response.status);
    spdlog::debug("download {}: GET from byte {}: HTTP {}, curl {} ({}), {} bytes received", what_,
                  offset, result.response.status, static_cast<int>(result.code),
                  curl_easy_strerror(result.code), sink.written);
    if (sink.verdict == AttemptSink::Verdict::kUndecided && result.code == CURLE_OK) {
      sink.verdict = sink.decide();  // an empty body
    }
    result.verdict = sink.verdict;
    if (result.code != CURLE_OK) result.curl_error = curl_message(result.code, error_buffer);
    outcome_.report.fetched += sink.written;
    if (sink.offset != offset) outcome_.report.resumed_from = 0;  // the server ignored the Range
    result.size_after = file_.size();
    if (result.code == CURLE_ABORTED_BY_CALLBACK) {
      throw TransferCancelled(fmt::format(
          "{}: the download was stopped with {} of {} bytes in {}; the next stage resumes it",
          what_, result.size_after, expected_size(), part_.string()));
    }
    return result;
  }

  /// The retry decision after an attempt: done, refused (a status for the caller to explain),
  /// or another attempt after the backoff. Throws when retrying cannot help or the budget is
  /// spent.
  Next judge(const AttemptResult& result) {
    switch (result.verdict) {
      case AttemptSink::Verdict::kIoError:
        throw Error(ExitCode::kSource,
                    fmt::format("cannot write {}: {}; check the free space of the staging folder",
                                part_.string(), file_.error()));
      case AttemptSink::Verdict::kObjectChanged:
        start_over_for_changed_object(result);
        return Next::kAgain;
      case AttemptSink::Verdict::kRangeMismatch:
        start_over();
        retry(fmt::format("the server answered the Range request with {}",
                          result.response.header("content-range")),
              result);
        return Next::kAgain;
      default:
        break;
    }
    if (result.code != CURLE_OK) {
      if (!is_retryable_curl_code(result.code)) {
        throw Error(ExitCode::kSource,
                    fmt::format("{}: {}; check the URL and the network", what_, result.curl_error));
      }
      retry(result.curl_error, result);
      return Next::kAgain;
    }
    if (!is_success(result.response.status)) return judge_refusal(result);
    return judge_completeness(result);
  }

  Next judge_refusal(const AttemptResult& result) {
    const HttpResponse& response = result.response;
    if (response.status == 416 && result.offset > 0) {
      // The .part is not a prefix of this object (it is as long or longer): start over.
      start_over();
      retry("HTTP 416 for the resumed range", result, retry_after_of(response));
      return Next::kAgain;
    }
    if (is_retryable_status(response.status) && budget_.record_failure(result.progressed())) {
      wait_to_retry(fmt::format("HTTP {}", response.status), retry_after_of(response));
      return Next::kAgain;
    }
    outcome_.refused = response;
    return Next::kRefused;
  }

  /// A 2xx that ended: complete when the file holds exactly the object's bytes.
  Next judge_completeness(const AttemptResult& result) {
    ObjectInfo got = object_info_from(result.response);
    std::optional<std::uint64_t> total = got.size ? got.size : target_.size;
    if (total && result.size_after < *total) {
      retry(fmt::format("the response ended at byte {} of {}", result.size_after, *total), result);
      return Next::kAgain;
    }
    if (total && result.size_after > *total) {
      start_over();
      retry(fmt::format("the file grew past the object's {} bytes", *total), result);
      return Next::kAgain;
    }
    if (!got.etag.empty()) target_.etag = got.etag;
    if (!got.last_modified.empty()) target_.last_modified = got.last_modified;
    target_.size = total ? total : std::optional<std::uint64_t>(result.size_after);
    return Next::kComplete;
  }

  void start_over_for_changed_object(const AttemptResult& result) {
    ObjectInfo changed = object_info_from(result.response);
    spdlog::warn("download {}: the object changed (ETag {} -> {}); starting over", what_,
                 target_.etag, changed.etag);
    target_ = changed;
    start_over();
    write_state(part_, validator_of(target_));
    outcome_.report.restarted = true;
    // The attempt added nothing, and the change counts once more: an object that keeps
    // changing gives up after half the retries, and without waiting.
    budget_.record_failure(result.progressed());
    if (!budget_.record_failure()) give_up("the object keeps changing", result.size_after);
    ++outcome_.report.retries;
  }

  void start_over() {
    file_.truncate(0);
    outcome_.report.resumed_from = 0;
  }

  void retry(const std::string& reason, const AttemptResult& result,
             std::optional<std::chrono::seconds> retry_after = std::nullopt) {
    if (!budget_.record_failure(result.progressed())) give_up(reason, result.size_after);
    wait_to_retry(reason, retry_after);
  }

  void wait_to_retry(const std::string& reason, std::optional<std::chrono::seconds> retry_after) {
    ++outcome_.report.retries;
    budget_.wait(
        what_, reason,
        fmt::format("retry {}; {} of {} in a row without progress", outcome_.report.retries,
                    budget_.failures_in_a_row(), budget_.max_retries()),
        retry_after);
  }

  [[noreturn]] void give_up(const std::string& reason, std::uint64_t size) const {
    throw Error(
        ExitCode::kSource,
        fmt::format("{}: {} (gave up after {} retries without progress; {} of {} bytes "
                    "are in {}); check the network and the server, then run again to "
                    "resume",
                    what_, reason, options_.max_retries, size, expected_size(), part_.string()));
  }

  std::string expected_size() const {
    return target_.size ? fmt::format("{}", *target_.size) : "?";
  }

  const std::function<HttpRequest()>& make_;
  const std::filesystem::path& part_;
  const TransferOptions& options_;
  ObjectInfo target_;
  PartFile file_;
  std::uint64_t resumed_from_;
  std::string what_;
  ProgressMeter progress_;
  RetryPolicy budget_;
  DownloadOutcome outcome_;
};

}  // namespace

std::string HttpResponse::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

bool is_success(long status) {
  return status >= 200 && status < 300;
}

std::string strip_etag_quotes(std::string etag) {
  std::string prefix;
  if (etag.starts_with("W/")) {
    prefix = "W/";
    etag.erase(0, 2);
  }
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return prefix + etag;
}

std::string http_date_to_iso8601(const std::string& http_date) {
  if (http_date.empty()) return {};
  time_t seconds = curl_getdate(http_date.c_str(), nullptr);
  if (seconds < 0) return {};
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

ObjectInfo object_info_from(const HttpResponse& response) {
  ObjectInfo info;
  info.etag = strip_etag_quotes(response.header("etag"));
  info.last_modified = http_date_to_iso8601(response.header("last-modified"));
  if (response.status == 206) {
    if (auto range = parse_content_range(response.header("content-range")))
      info.size = range->total;
  } else {
    info.size = parse_u64(response.header("content-length"));
  }
  return info;
}

HttpResponse perform(const HttpRequest& request, Method method, const TransferOptions& options) {
  init_curl_once();
  CurlHandle curl(curl_easy_init());
  if (!curl) throw std::bad_alloc();
  HttpResponse response;
  RequestLists lists;
  char error_buffer[CURL_ERROR_SIZE] = {};
  configure(curl.get(), request, options, lists, error_buffer, &response);
  BodyBuffer buffer{&response.body, kSmallBodyLimit};
  if (method == Method::kHead) {
    curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  } else {
    buffer.abort_at_first_byte = method == Method::kProbe;
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &buffer);
  }
  CURLcode code = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  spdlog::debug("{}: {}: HTTP {}, curl {} ({})", request.what,
                method == Method::kHead ? "HEAD" : "GET", response.status, static_cast<int>(code),
                curl_easy_strerror(code));
  if (code == CURLE_WRITE_ERROR && buffer.aborted) code = CURLE_OK;
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    throw TransferCancelled(fmt::format("{}: the request was stopped", request.what));
  }
  if (code != CURLE_OK) {
    std::string message = fmt::format("{}: {}", request.what, curl_message(code, error_buffer));
    if (is_retryable_curl_code(code)) throw TransientFailure(message);
    throw Error(ExitCode::kSource, message + "; check the URL and the network");
  }
  return response;
}

HttpResponse perform_with_retries(const std::function<HttpRequest()>& make, Method method,
                                  const TransferOptions& options, int* retries) {
  RetryPolicy budget(options);
  for (int attempt = 0;; ++attempt) {
    if (retries) *retries = attempt;
    HttpRequest request = make();
    std::string note = fmt::format("retry {} of {}", attempt + 1, options.max_retries);
    try {
      HttpResponse response = perform(request, method, options);
      if (!is_retryable_status(response.status) || !budget.record_failure()) return response;
      budget.wait(request.what, fmt::format("HTTP {}", response.status), note,
                  retry_after_of(response));
    } catch (const TransientFailure& failure) {
      if (!budget.record_failure()) {
        throw Error(ExitCode::kSource,
                    fmt::format("{} (gave up after {} retries); check the URL, the network and "
                                "that the server is up",
                                failure.what(), attempt));
      }
      budget.wait(request.what, failure.what(), note);
    }
  }
}

DownloadOutcome download_resumable(const std::function<HttpRequest()>& make,
                                   const std::filesystem::path& part, const ObjectInfo& expected,
                                   const TransferOptions& options) {
  init_curl_once();
  return ResumableDownload(make, part, expected, options).run();
}

}  // namespace marquee::source::detail
