#include "api/server.hpp"

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "api/metrics.hpp"
#include "api/report_cache.hpp"
#include "api/routes.hpp"
#include "common/error.hpp"
#include "common/prometheus.hpp"

namespace marquee::api {
namespace {

namespace fs = std::filesystem;

/// The store connection of the worker thread running the current request. Each worker owns one
/// connection for its lifetime: SQLite connections are not shared between threads, WAL lets the
/// readers run side by side (and beside a loading `marquee run`), and no request waits on a lock
/// held by another request's query.
thread_local store::Store* t_worker_store = nullptr;
/// When the current request's routing began on this worker, for the request log line.
thread_local std::chrono::steady_clock::time_point t_request_start{};
/// The route template the request matched, for the metrics (empty: none matched).
thread_local std::string t_route;

using Clock = std::chrono::steady_clock;

/// How long a kept-alive connection may stay idle between requests.
constexpr auto kKeepAliveTimeout = std::chrono::seconds(2);
/// Requests answered on one connection before it is closed.
constexpr std::size_t kKeepAliveMaxCount = 1000;
/// How long one write of a response may wait for the client to make room for it.
constexpr auto kWriteTimeout = std::chrono::seconds(5);
/// A request header still unfinished past this size is answered 431 (httplib takes 8 KiB a line).
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
/// The kernel's queue of connections not yet accepted; httplib listens with a backlog of 5,
/// which drops the SYNs of a burst of clients and makes them retry a second later.
constexpr int kListenBacklog = 1024;

/// Open files the server needs besides its client connections: the store's files (database,
/// WAL, shared memory) per worker, the logs, the listening socket, the lobby's eventfd.
std::size_t reserved_files(std::size_t threads) {
  return 3 * threads + 64;
}

/// Raises the soft limit on open files toward the hard one until `wanted` fit; returns the limit.
std::size_t raise_open_file_limit(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  if (limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

int poll_timeout_ms(Clock::duration left) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<decltype(ms)>(ms, 0, std::numeric_limits<int>::max()));
}

/// Waits until `fd` is ready for `events` or `left` has passed.
bool wait_ready(int fd, short events, Clock::duration left) {
  auto until = Clock::now() + left;
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, poll_timeout_ms(until - Clock::now()));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

/// A client connection, and the bytes received from it that no request has consumed yet.
struct Connection {
  explicit Connection(int socket, Clock::time_point now) : fd(socket), waiting_since(now) {}
  ~Connection() { ::close(fd); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::string_view unread() const { return std::string_view(received).substr(consumed); }
  void consume(std::size_t n) {
    consumed += n;
    if (consumed == received.size()) {
      received.clear();
      consumed = 0;
    }
  }
  void compact() {
    received.erase(0, consumed);
    consumed = 0;
  }

  int fd;
  std::string received;
  std::size_t consumed = 0;
  std::size_t answered = 0;         ///< requests answered on this connection
  Clock::time_point waiting_since;  ///< when it began waiting for its current request
  Clock::time_point deadline;       ///< when its current request must have arrived
  std::size_t header_scanned = 0;   ///< bytes of unread() already searched for the header's end
};

/// Whether the unread bytes hold a whole request header: httplib ends one at a line that is just
/// CRLF, after lines ended by CRLF or (skipped) by a bare LF.
bool header_complete(Connection& c) {
  std::string_view unread = c.unread();
  std::size_t from = c.header_scanned >= 2 ? c.header_scanned - 2 : 0;
  c.header_scanned = unread.size();
  return unread.find("\n\r\n", from) != std::string_view::npos;
}

/// Answers a connection the server gives up on, without blocking, before it is closed; then
/// drains what the client sent, so that the close sends FIN: a reset could discard the answer.
void answer_and_give_up(const Connection& c, int status, std::string_view reason,
                        std::string_view message) {
  std::string body = error_body(message);
  std::string reply = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: "
      "{}\r\n{}Connection: close\r\n\r\n{}",
      status, reason, body.size(), status == 503 ? "Retry-After: 1\r\n" : "", body);
  ::send(c.fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
}

/// httplib's view of a connection whose request header has arrived: reads take the bytes the
/// lobby received, then wait on the socket until the request's deadline; each write waits at
/// most kWriteTimeout for the client to make room.
class ConnectionStream final : public httplib::Stream {
 public:
  explicit ConnectionStream(Connection& c) : c_(c) {}

  bool is_readable() const override {
    return !c_.unread().empty() || wait_ready(c_.fd, POLLIN, c_.deadline - Clock::now());
  }
  bool is_writable() const override { return wait_ready(c_.fd, POLLOUT, kWriteTimeout); }

  /// True once a read or write failed: what is left of the request cannot be trusted, so the
  /// connection is closed rather than kept alive.
  bool failed() const { return failed_; }

  ssize_t read(char* ptr, size_t size) override {
    while (c_.unread().empty()) {
      if (!wait_ready(c_.fd, POLLIN, c_.deadline - Clock::now())) return fail();
      char buf[16 * 1024];
      ssize_t n = ::recv(c_.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) {
        failed_ = true;
        return 0;
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        return fail();
      }
      c_.received.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t n = std::min(size, c_.unread().size());
    std::memcpy(ptr, c_.unread().data(), n);
    c_.consume(n);
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    auto until = Clock::now() + kWriteTimeout;
    for (;;) {
      if (!wait_ready(c_.fd, POLLOUT, until - Clock::now())) return fail();
      ssize_t n = ::send(c_.fd, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return fail();
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(c_.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      name(addr, len, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      name(addr, len, ip, port);
  }
  socket_t socket() const override { return c_.fd; }

 private:
  static void name(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, serv,
                      sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(serv);
    }
  }

  ssize_t fail() {
    failed_ = true;
    return -1;
  }

  Connection& c_;
  bool failed_ = false;
};

class ConnectionPool;

/// httplib's server, with the reading of connections taken over by a ConnectionPool: httplib
/// accepts, parses and routes; the pool decides which connection a worker reads, and when.
class PooledHttpServer final : public httplib::Server {
 public:
  void attach(ConnectionPool* pool) { pool_ = pool; }
  /// Answers the request on `strm`, whose header has arrived.
  bool answer(httplib::Stream& strm, bool close_connection, bool& connection_closed) {
    return process_request(strm, close_connection, connection_closed, nullptr);
  }
  /// Linux updates the backlog of a socket that is already listening.
  void widen_listen_backlog(int backlog) { ::listen(svr_sock_, backlog); }

 private:
  /// Called by httplib's accept loop (through ConnectionPool::enqueue) for each new socket.
  bool process_and_close_socket(socket_t sock) override;

  ConnectionPool* pool_ = nullptr;
};

/// What happened to the connections, for the log line when the server stops.
struct ConnectionCounts {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> timed_out{0};  ///< request not in within --read-timeout: 408
  std::atomic<std::uint64_t> evicted{0};    ///< closed for a newer one past --max-connections
  std::atomic<std::uint64_t> refused{0};    ///< 503: past --max-connections, none to evict
};

/// The connections of one listen(): a lobby thread polls every connection that waits for its
/// request header, so that a slow or idle client costs a file descriptor, not a worker; once a
/// header is complete the connection goes to the workers, one thread per store connection, and
/// after a kept-alive answer back to the lobby. httplib's accept loop is the only producer.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(PooledHttpServer& http, const std::vector<std::unique_ptr<store::Store>>& stores,
                 std::chrono::milliseconds read_timeout, std::size_t max_connections,
                 ConnectionCounts& counts)
      : http_(http),
        read_timeout_(read_timeout),
        max_connections_(max_connections),
        counts_(counts),
        wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_fd_ < 0)
      throw Error(ExitCode::kUsage, fmt::format("serve: eventfd failed: {}", std::strerror(errno)));
    http_.attach(this);
    lobby_ = std::thread([this] { run_lobby(); });
    for (const auto& s : stores) workers_.emplace_back([this, st = s.get()] { work(*st); });
  }
  ~ConnectionPool() override {
    shutdown();
    http_.attach(nullptr);
  }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// httplib's job for a new socket only hands it to admit(): run it at once.
  void enqueue(std::function<void()> fn) override { fn(); }

  /// Closes the connections waiting in the lobby, answers the requests already received (with
  /// Connection: close), then joins the threads.
  void shutdown() override {
    if (!lobby_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_lobby();
    lobby_.join();
    {
      std::lock_guard lock(mutex_);
      workers_stop_ = true;
    }
    work_ready_.notify_all();
    for (auto& t : workers_) t.join();
    ::close(wake_fd_);
  }

  /// A socket just accepted.
  void admit(int fd) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      arrived_.push_back(fd);
    }
    counts_.accepted.fetch_add(1, std::memory_order_relaxed);
    wake_lobby();
  }

 private:
  using ConnectionPtr = std::unique_ptr<Connection>;

  void wake_lobby() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }

  void run_lobby() {
    std::vector<pollfd> fds;
    for (;;) {
      std::vector<int> arrived;
      std::vector<ConnectionPtr> returned;
      bool stopping = false;
      {
        std::lock_guard lock(mutex_);
        arrived.swap(arrived_);
        returned.swap(returned_);
        stopping = stopping_;
      }
      if (stopping) {
        for (int fd : arrived) ::close(fd);
        break;  // `returned` and `waiting_` close as they go
      }
      auto now = Clock::now();
      for (auto& c : returned) {
        c->compact();
        c->header_scanned = 0;
        c->waiting_since = now;
        c->deadline = now + (c->unread().empty() ? Clock::duration(kKeepAliveTimeout)
                                                 : Clock::duration(read_timeout_));
        if (header_complete(*c)) {
          dispatch(std::move(c));
        } else {
          waiting_.push_back(std::move(c));
        }
      }
      for (int fd : arrived) take_new(fd, now);
      expire(now);

      fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
      auto earliest = Clock::time_point::max();
      for (const auto& c : waiting_) {
        fds.push_back(pollfd{c->fd, POLLIN, 0});
        earliest = std::min(earliest, c->deadline);
      }
      int timeout = earliest == Clock::time_point::max() ? -1 : poll_timeout_ms(earliest - now);
      if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
        spdlog::error("serve: poll failed: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (fds[0].revents != 0) {
        std::uint64_t count = 0;
        [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
      }
      now = Clock::now();
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) receive(waiting_[i - 1], now);
      }
      std::erase(waiting_, nullptr);
    }
    waiting_.clear();
  }

  /// Admits a new connection, making room past --max-connections.
  void take_new(int fd, Clock::time_point now) {
    auto c = std::make_unique<Connection>(fd, now);
    c->deadline = now + read_timeout_;
    if (waiting_.size() + in_service_.load() >= max_connections_) {
      if (!limit_reached_) {
        limit_reached_ = true;
        spdlog::warn(
            "serve: {} connections held (--max-connections); a new one now closes the one that "
            "has waited longest for its request, or is answered 503",
            max_connections_);
      }
      auto oldest = std::min_element(
          waiting_.begin(), waiting_.end(),
          [](const auto& a, const auto& b) { return a->waiting_since < b->waiting_since; });
      if (oldest == waiting_.end()) {
        answer_and_give_up(*c, 503, "Service Unavailable",
                           "the server is answering as many connections as it holds "
                           "(--max-connections); retry in a moment");
        counts_.refused.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (!(*oldest)->unread().empty()) {
        answer_and_give_up(**oldest, 503, "Service Unavailable",
                           "the server is at --max-connections and this request had waited "
                           "longest for its header; retry");
      }
      counts_.evicted.fetch_add(1, std::memory_order_relaxed);
      std::swap(*oldest, waiting_.back());
      waiting_.pop_back();
    }
    waiting_.push_back(std::move(c));
  }

  /// Gives up on the connections whose request has not arrived in time.
  void expire(Clock::time_point now) {
    for (auto& c : waiting_) {
      if (c->deadline > now) continue;
      if (!c->unread().empty()) {
        answer_and_give_up(*c, 408, "Request Timeout",
                           fmt::format("the request did not arrive within {} ms (--read-timeout)",
                                       read_timeout_.count()));
        counts_.timed_out.fetch_add(1, std::memory_order_relaxed);
      }
      c.reset();  // an idle one is closed without a word, as at a keep-alive timeout
    }
    std::erase(waiting_, nullptr);
  }

  /// Reads what a waiting connection sent; hands it to the workers once its header is complete.
  void receive(ConnectionPtr& c, Clock::time_point now) {
    char buf[16 * 1024];
    ssize_t n = ::recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
      c.reset();  // closed by the client, or broken
      return;
    }
    // The first byte of a kept-alive connection's next request starts its --read-timeout.
    if (c->unread().empty() && c->answered > 0) c->deadline = now + read_timeout_;
    c->received.append(buf, static_cast<std::size_t>(n));
    if (header_complete(*c)) {
      dispatch(std::move(c));
    } else if (c->unread().size() > kMaxHeaderBytes) {
      answer_and_give_up(
          *c, 431, "Request Header Fields Too Large",
          fmt::format("the request header is longer than {} bytes", kMaxHeaderBytes));
      c.reset();
    }
  }

  void dispatch(ConnectionPtr c) {
    in_service_.fetch_add(1);
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(c));
    }
    work_ready_.notify_one();
  }

  void work(store::Store& store) {
    t_worker_store = &store;
    for (;;) {
      ConnectionPtr c;
      {
        std::unique_lock lock(mutex_);
        work_ready_.wait(lock, [&] { return workers_stop_ || !ready_.empty(); });
        if (ready_.empty()) break;
        c = std::move(ready_.front());
        ready_.pop_front();
      }
      if (answer(*c)) {
        std::lock_guard lock(mutex_);
        if (!stopping_) returned_.push_back(std::move(c));
      }
      bool kept = c == nullptr;
      c.reset();
      in_service_.fetch_sub(1);
      if (kept) wake_lobby();
    }
    t_worker_store = nullptr;
  }

  /// Answers one request; true when the connection stays open for another.
  bool answer(Connection& c) {
    bool close_connection = c.answered + 1 >= kKeepAliveMaxCount;
    {
      std::lock_guard lock(mutex_);
      close_connection = close_connection || stopping_;
    }
    bool connection_closed = false;
    bool ok = false;
    ConnectionStream strm(c);
    try {
      ok = http_.answer(strm, close_connection, connection_closed);
    } catch (const std::exception& e) {
      spdlog::error("serve: a connection failed: {}", e.what());
    }
    ++c.answered;
    return ok && !strm.failed() && !close_connection && !connection_closed;
  }

  PooledHttpServer& http_;
  const std::chrono::milliseconds read_timeout_;
  const std::size_t max_connections_;
  ConnectionCounts& counts_;
  const int wake_fd_;

  std::vector<ConnectionPtr> waiting_;      ///< the lobby's: connections waiting for their header
  bool limit_reached_ = false;              ///< the lobby's: --max-connections was reached (logged)
  std::atomic<std::size_t> in_service_{0};  ///< ready or being answered

  std::mutex mutex_;  ///< guards what follows
  std::vector<int> arrived_;
  std::vector<ConnectionPtr> returned_;
  std::deque<ConnectionPtr> ready_;
  bool stopping_ = false;
  bool workers_stop_ = false;
  std::condition_variable work_ready_;

  std::thread lobby_;
  std::vector<std::thread> workers_;
};

bool PooledHttpServer::process_and_close_socket(socket_t sock) {
  if (pool_ == nullptr) {
    ::close(sock);
    return false;
  }
  pool_->admit(sock);
  return true;
}

struct StaticFile {
  std::string content;
  std::string content_type;
};

std::string content_type_for(const fs::path& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"}};
  auto it = types.find(path.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

/// The repository this file was compiled from: the fallback for a binary run from its build tree.
fs::path source_root() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

fs::path first_existing(const std::vector<fs::path>& candidates, const fs::path& probe) {
  for (const auto& c : candidates) {
    std::error_code ec;
    if (!c.empty() && fs::exists(c / probe, ec)) return c;
  }
  return {};
}

std::vector<fs::path> candidates(const fs::path& explicit_dir, const char* env,
                                 std::vector<fs::path> defaults) {
  if (!explicit_dir.empty()) return {explicit_dir};
  std::vector<fs::path> out;
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0') out.emplace_back(v);
  for (auto& d : defaults) out.push_back(std::move(d));
  return out;
}

void set_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json; charset=utf-8");
  res.set_header("Cache-Control", "no-store");
}

}  // namespace

struct Server::Impl {
  ServeOptions options;
  std::vector<std::unique_ptr<store::Store>> stores;  ///< one per worker
  ReportCache cache;
  std::map<std::string, StaticFile> files;  ///< by URL path
  PooledHttpServer http;
  std::size_t max_connections = 0;  ///< options.max_connections, lowered to the open-file limit
  ConnectionCounts connections;
  int port = 0;
  bool bound = false;
  std::atomic<bool> stop_requested{false};
  std::atomic<std::uint64_t> requests{0};
  RequestMetrics metrics;

  void load_static_files();
  void register_routes();
  void handle_api(const RouteSpec& route, const httplib::Request& req, httplib::Response& res);
};

void Server::Impl::load_static_files() {
  fs::path exe = executable_dir();
  fs::path web = first_existing(
      candidates(options.web_dir, "MARQUEE_WEB_DIR",
                 {exe / "../share/marquee/web", exe / "../web", source_root() / "web"}),
      "index.html");
  if (web.empty()) {
    spdlog::warn(
        "serve: no dashboard files (index.html) found; set MARQUEE_WEB_DIR. The API still answers");
  } else {
    for (const auto& entry : fs::directory_iterator(web)) {
      std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.starts_with(".")) continue;
      files["/" + name] = {read_whole(entry.path()), content_type_for(entry.path())};
    }
    if (auto it = files.find("/index.html"); it != files.end()) files["/"] = it->second;
    spdlog::info("serve: dashboard from {}", fs::weakly_canonical(web).string());
  }
  // An explicit choice first; then the copy an install vendors beside the dashboard
  // (share/marquee/web/vendor/, so an installed marquee needs no node_modules); then npm's trees.
  const fs::path chart = "chart.js/dist/chart.umd.js";
  std::vector<fs::path> chart_files;
  if (!options.node_modules.empty()) {
    chart_files.push_back(options.node_modules / chart);
  } else {
    if (const char* v = std::getenv("MARQUEE_NODE_MODULES"); v != nullptr && *v != '\0') {
      chart_files.push_back(fs::path(v) / chart);
    }
    if (!web.empty()) chart_files.push_back(web / "vendor/chart.umd.js");
    chart_files.push_back(exe / "node/node_modules" / chart);
    chart_files.push_back(source_root() / "build/node/node_modules" / chart);
  }
  auto found = std::find_if(chart_files.begin(), chart_files.end(), [](const fs::path& file) {
    std::error_code ec;
    return fs::is_regular_file(file, ec);
  });
  if (found == chart_files.end()) {
    spdlog::warn(
        "serve: chart.js not found (install marquee, npm ci in build/node, or set "
        "MARQUEE_NODE_MODULES); the dashboard shows tables without charts");
  } else {
    files["/vendor/chart.umd.js"] = {read_whole(*found), "text/javascript; charset=utf-8"};
    spdlog::info("serve: charts from {}", fs::weakly_canonical(*found).string());
  }
}

void Server::Impl::handle_api(const RouteSpec& route, const httplib::Request& req,
                              httplib::Response& res) {
  t_route = route.path;
  try {
    std::vector<std::string> path_values;
    for (std::size_t i = 1; i < req.matches.size(); ++i)
      path_values.push_back(req.matches[i].str());
    Args args = parse_args(route, path_values, req.params);
    if (t_worker_store == nullptr)
      throw std::logic_error("a request ran outside the store worker pool");
    RequestContext ctx{*t_worker_store, cache};
    Reply reply = route.handler(ctx, args);
    set_json(res, reply.status, reply.body);
  } catch (const ParamError& e) {
    set_json(res, 400, error_body(e.what(), e.parameter()));
  } catch (const Error& e) {
    spdlog::error("serve: {} {}: {}", req.method, req.path, e.what());
    set_json(res, 503, error_body(fmt::format("the store failed: {}", e.what())));
  } catch (const std::exception& e) {
    spdlog::error("serve: {} {}: unexpected failure: {}", req.method, req.path, e.what());
    set_json(res, 500, error_body("internal error; see the server log"));
  }
}

void Server::Impl::register_routes() {
  for (const auto& route : route_table()) {
    http.Get(route_regex(route),
             [this, &route](const httplib::Request& req, httplib::Response& res) {
               handle_api(route, req, res);
             });
  }
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    t_route = "/metrics";
    std::string body = fmt::format(
        "# HELP marquee_build_info The marquee version serving.\n"
        "# TYPE marquee_build_info gauge\n"
        "marquee_build_info{{version=\"{}\"}} 1\n",
        prometheus_label(MARQUEE_VERSION));
    body += metrics.render();
    try {
      body += database_metrics(*t_worker_store);
      body +=
          "# HELP marquee_database_up Whether the last scrape could read the database.\n"
          "# TYPE marquee_database_up gauge\nmarquee_database_up 1\n";
    } catch (const std::exception& e) {
      spdlog::error("serve: /metrics: {}", e.what());
      body +=
          "# HELP marquee_database_up Whether the last scrape could read the database.\n"
          "# TYPE marquee_database_up gauge\nmarquee_database_up 0\n";
    }
    res.set_content(body, "text/plain; version=0.0.4; charset=utf-8");
    res.set_header("Cache-Control", "no-store");
  });
  // The dashboard's files, after the API so that no file can shadow a route.
  http.Get(R"(/[A-Za-z0-9_.\-/]*)", [this](const httplib::Request& req, httplib::Response& res) {
    auto it = files.find(req.path);
    if (it != files.end()) t_route = "static";
    if (it == files.end()) {
      set_json(res, 404, error_body(fmt::format("no such page: {}", req.path)));
      return;
    }
    res.set_content(it->second.content, it->second.content_type.c_str());
    res.set_header("Cache-Control", "no-cache");
  });
  httplib::Server::HandlerWithResponse fill_error_body = [](const httplib::Request& req,
                                                            httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message =
        res.status == 404
            ? fmt::format("no route {} {}; the routes are listed at /api/openapi.json", req.method,
                          req.path)
            : fmt::format("HTTP {}", res.status);
    res.set_content(error_body(message), "application/json; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_error_handler(fill_error_body);
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("serve: {} {}: unexpected failure: {}", req.method, req.path, what);
        set_json(res, 500, error_body("internal error; see the server log"));
      });
  http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    t_request_start = std::chrono::steady_clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    requests.fetch_add(1, std::memory_order_relaxed);
    std::string target = req.target.empty() ? req.path : req.target;
    if (target.size() > 200) target = target.substr(0, 200) + "...";
    if (t_request_start == std::chrono::steady_clock::time_point{}) {
      spdlog::info("{} {} {} - ms", req.method, target, res.status);
      t_route.clear();
      return;
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                          t_request_start)
                    .count();
    t_request_start = {};
    metrics.observe(t_route.empty() ? "unmatched" : t_route, res.status, ms / 1000);
    t_route.clear();
    spdlog::info("{} {} {} {:.2f} ms", req.method, target, res.status, ms);
  });
}

Server::Server(ServeOptions options) : impl_(std::make_unique<Impl>()) {
  auto& d = *impl_;
  d.options = std::move(options);
  if (d.options.db_url.empty()) throw Error(ExitCode::kUsage, "serve: no database given (--db)");
  if (d.options.threads < 1 || d.options.threads > 1024) {
    throw Error(ExitCode::kUsage, fmt::format("--threads {}: give 1 to 1024", d.options.threads));
  }
  if (d.options.port < 0 || d.options.port > 65535) {
    throw Error(ExitCode::kUsage, fmt::format("--port {}: give 0 to 65535", d.options.port));
  }
  if (d.options.read_timeout < std::chrono::milliseconds(1) ||
      d.options.read_timeout > std::chrono::hours(1)) {
    throw Error(ExitCode::kUsage, fmt::format("--read-timeout {} ms: give 0.001 to 3600 seconds",
                                              d.options.read_timeout.count()));
  }
  if (d.options.max_connections < 1 || d.options.max_connections > 1'000'000) {
    throw Error(ExitCode::kUsage,
                fmt::format("--max-connections {}: give 1 to 1000000", d.options.max_connections));
  }
  // Past the open-file limit accept() fails, and httplib retries it every millisecond while new
  // clients wait in the kernel's queue: better to hold fewer connections and evict the idle.
  const std::size_t reserved = reserved_files(d.options.threads);
  const std::size_t files_limit = raise_open_file_limit(d.options.max_connections + reserved);
  d.max_connections = d.options.max_connections;
  if (d.max_connections + reserved > files_limit) {
    d.max_connections = files_limit > reserved + 16 ? files_limit - reserved : 16;
    spdlog::warn(
        "serve: the open-file limit (ulimit -n) is {}; holding at most {} connections instead of "
        "--max-connections {}. Raise the limit (LimitNOFILE= in the unit) to hold more",
        files_limit, d.max_connections, d.options.max_connections);
  }
  for (std::size_t i = 0; i < d.options.threads; ++i)
    d.stores.push_back(
        store::open_store(d.options.db_url, {.read_only = true, .must_exist = true}));
  auto snap = d.cache.current(*d.stores.front());
  spdlog::info("serve: {}: reports read in {:.0f} ms ({} companies, {} genres, {} genre-years)",
               d.stores.front()->describe(), snap->build_ms, snap->companies.size(),
               snap->genres.size(), snap->genre_yearly.size());
  d.load_static_files();

  // One worker per store connection, and a lobby where connections wait for their request.
  d.http.new_task_queue = [&d] {
    return std::make_unique<ConnectionPool>(d.http, d.stores, d.options.read_timeout,
                                            d.max_connections, d.connections)
        .release();
  };
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let two servers share a port silently.
  d.http.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // httplib writes headers and body in separate sends; with Nagle's algorithm the body then waits
  // for the client's delayed ACK, about 40 ms per keep-alive request.
  d.http.set_tcp_nodelay(true);
  // What the Keep-Alive response header announces; the ConnectionPool enforces both.
  d.http.set_keep_alive_max_count(kKeepAliveMaxCount);
  d.http.set_keep_alive_timeout(kKeepAliveTimeout.count());
  d.http.set_payload_max_length(64 * 1024);
  d.http.set_default_headers(
      {{"X-Content-Type-Options", "nosniff"},
       {"Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'"}});
  d.register_routes();
}

Server::~Server() {
  if (impl_) stop();
}

void Server::bind() {
  auto& d = *impl_;
  if (d.options.port == 0) {
    d.port = d.http.bind_to_any_port(d.options.host);
    if (d.port <= 0) d.port = 0;
  } else if (d.http.bind_to_port(d.options.host, d.options.port)) {
    d.port = d.options.port;
  }
  if (d.port == 0) {
    throw Error(ExitCode::kUsage,
                fmt::format("serve: cannot listen on {}:{}: the port is in use or the address "
                            "is not this machine's; choose another --host or --port",
                            d.options.host, d.options.port));
  }
  d.http.widen_listen_backlog(kListenBacklog);
  d.bound = true;
}

int Server::port() const {
  return impl_->port;
}

void Server::listen() {
  auto& d = *impl_;
  if (!d.bound) bind();
  if (d.stop_requested) return;
  d.http.listen_after_bind();
  const auto& c = d.connections;
  spdlog::info(
      "serve: stopped after {} requests on {} connections; cut off: {} too slow to send a request "
      "(408), {} evicted and {} refused (503) past --max-connections",
      d.requests.load(), c.accepted.load(), c.timed_out.load(), c.evicted.load(), c.refused.load());
}

void Server::stop() {
  impl_->stop_requested = true;
  impl_->http.stop();
}

bool Server::running() const {
  return impl_->http.is_running();
}

void serve(const ServeOptions& options) {
  // Block the signals before any thread starts, so that every thread inherits the mask and only
  // the waiter below receives them: a handler could not stop the server safely.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};

  Server server(options);
  server.bind();
  spdlog::info(
      "serve: dashboard at http://{}:{}/ , API at /api (see /api/openapi.json), {} workers, "
      "--read-timeout {} ms, --max-connections {}; stop with Ctrl-C or SIGTERM",
      options.host, server.port(), options.threads, options.read_timeout.count(),
      options.max_connections);

  std::atomic<bool> done{false};
  std::thread waiter([&] {
    const timespec tick{0, 200'000'000};
    while (!done) {
      int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("serve: {} received, finishing the requests in flight",
                     sig == SIGTERM ? "SIGTERM" : "SIGINT");
        // Repeated until listen() returns, in case the signal came before it started accepting.
        while (!done) {
          server.stop();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    }
  });
  try {
    server.listen();
  } catch (...) {
    done = true;
    waiter.join();
    throw;
  }
  done = true;
  waiter.join();
}

}  // namespace marquee::api
