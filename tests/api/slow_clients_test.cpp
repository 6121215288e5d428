#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "api/api_test_support.hpp"
#include "api/server.hpp"
#include "pipeline/job.hpp"

namespace marquee::api {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// How long a well-behaved client may wait for GET /health while other clients misbehave.
constexpr auto kAnswerWithin = std::chrono::seconds(5);

using testing::fresh_dir;
using testing::RunningServer;

/// The golden fixture loaded with the real pipeline into a fresh workdir; returns the database.
fs::path load_golden(const fs::path& root) {
  return testing::load_batches(root,
                               {fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv"});
}

/// A raw TCP connection to the server on 127.0.0.1, for clients httplib::Client cannot imitate.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  /// False once the server has closed the connection.
  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  /// What arrives within `wait`; `closed` tells whether the server closed the connection.
  std::string receive(milliseconds wait, bool& closed) {
    std::string out;
    closed = false;
    auto until = Clock::now() + wait;
    for (auto now = Clock::now(); now < until; now = Clock::now()) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(std::chrono::ceil<milliseconds>(until - now).count());
      if (::poll(&p, 1, left) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
};

/// Connections that send a request header one byte every `interval` and never finish it.
class HeaderDrippers {
 public:
  HeaderDrippers(int port, std::size_t count, milliseconds interval) {
    for (std::size_t i = 0; i < count; ++i)
      connections_.push_back(std::make_unique<RawConnection>(port));
    thread_ = std::thread([this, interval] { drip(interval); });
  }
  ~HeaderDrippers() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  HeaderDrippers(const HeaderDrippers&) = delete;
  HeaderDrippers& operator=(const HeaderDrippers&) = delete;

  std::size_t connected() const {
    std::size_t n = 0;
    for (const auto& c : connections_) n += c->connected() ? 1 : 0;
    return n;
  }

 private:
  void drip(milliseconds interval) {
    const std::string header = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    for (std::size_t i = 0;; ++i) {
      char byte = i < header.size() ? header[i] : 'a';
      for (auto& c : connections_) c->send(std::string_view(&byte, 1));
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval, [this] { return stop_; })) return;
    }
  }

  std::vector<std::unique_ptr<RawConnection>> connections_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

/// Raises this process's soft limit on open files to at least `needed` (up to the hard limit),
/// and puts it back afterwards.
class OpenFileLimit {
 public:
  OpenFileLimit() { ::getrlimit(RLIMIT_NOFILE, &saved_); }
  ~OpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  OpenFileLimit(const OpenFileLimit&) = delete;
  OpenFileLimit& operator=(const OpenFileLimit&) = delete;

  /// False when the hard limit is below `needed`.
  bool raise_to(rlim_t needed) {
    if (saved_.rlim_cur != RLIM_INFINITY && saved_.rlim_cur >= needed) return true;
    if (saved_.rlim_max != RLIM_INFINITY && saved_.rlim_max < needed) return false;
    rlimit raised = saved_;
    raised.rlim_cur = needed;
    return ::setrlimit(RLIMIT_NOFILE, &raised) == 0;
  }
  rlim_t hard() const { return saved_.rlim_max; }

 private:
  rlimit saved_{};
};

/// GET /health from a fresh client: expects 200 within kAnswerWithin, returns how long it took.
milliseconds time_health(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(kAnswerWithin);
  client.set_read_timeout(kAnswerWithin);
  client.set_write_timeout(kAnswerWithin);
  auto start = Clock::now();
  auto res = client.Get("/health");
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  std::printf("    GET /health from a fresh client: %s after %lld ms\n",
              res ? std::to_string(res->status).c_str() : httplib::to_string(res.error()).c_str(),
              static_cast<long long>(took.count()));
  EXPECT_TRUE(res) << "no answer after " << took.count()
                   << " ms: " << httplib::to_string(res.error());
  if (res) {
    EXPECT_EQ(res->status, 200) << res->body;
  }
  EXPECT_LT(took, kAnswerWithin);
  return took;
}

class SlowClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fresh_dir("slow-clients");
    db_ = load_golden(root_);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (std::getenv("MARQUEE_KEEP_TEST_DIRS") == nullptr) fs::remove_all(root_, ec);
  }
  /// The defaults of `marquee serve`, over the golden fixture, on any free loopback port.
  static ServeOptions options() { return testing::loopback_options(db_, ServeOptions{}.threads); }

  static inline fs::path root_, db_;
};

TEST_F(SlowClients, HeadersDrippedOnMoreConnectionsThanWorkersDoNotStarveOthers) {
  ServeOptions o = options();
  RunningServer server(o);
  const std::size_t count = o.threads + 4;
  HeaderDrippers drippers(server.port(), count, milliseconds(1000));
  ASSERT_EQ(drippers.connected(), count);
  // Two bytes each by now: a server whose workers wait on a header has none left.
  std::this_thread::sleep_for(milliseconds(1500));
  time_health(server.port());
}

TEST_F(SlowClients, FifteenHundredIdleConnectionsDoNotStarveOthers) {
  constexpr std::size_t kIdle = 1500;
  OpenFileLimit limit;
  // This process holds both ends of every connection, and the server's store files.
  if (!limit.raise_to(2 * kIdle + 256)) {
    GTEST_SKIP() << "the hard limit on open files (" << limit.hard() << ") is below "
                 << 2 * kIdle + 256 << "; raise it (ulimit -Hn) to run this test";
  }
  RunningServer server(options());
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (std::size_t i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i << ": " << std::strerror(errno);
  }
  std::this_thread::sleep_for(milliseconds(200));
  time_health(server.port());
}

TEST_F(SlowClients, AHeaderTrickledPastTheReadTimeoutIsAnswered408AndClosed) {
  ServeOptions o = options();
  o.read_timeout = milliseconds(1000);
  RunningServer server(o);
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.connected());
  // A byte every 100 ms: never idle long enough for a per-read timeout to end it.
  const std::string header = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  auto start = Clock::now();
  std::string reply;
  bool closed = false;
  for (std::size_t i = 0; !closed && Clock::now() - start < std::chrono::seconds(5); ++i) {
    char byte = i < header.size() ? header[i] : 'a';
    slow.send(std::string_view(&byte, 1));
    reply += slow.receive(milliseconds(100), closed);
  }
  auto took = Clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 408 ")) << reply;
  EXPECT_NE(reply.find("--read-timeout"), std::string::npos) << reply;
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, milliseconds(2500));
}

TEST_F(SlowClients, ABodyNotSentWithinTheReadTimeoutFreesItsWorker) {
  ServeOptions o = options();
  o.threads = 1;
  o.read_timeout = milliseconds(1000);
  RunningServer server(o);
  RawConnection post(server.port());
  ASSERT_TRUE(post.send("POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"));
  auto start = Clock::now();
  bool closed = false;
  post.receive(milliseconds(3000), closed);
  auto took = Clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_LT(took, milliseconds(2500));
  time_health(server.port());
}

TEST_F(SlowClients, PipelinedAndKeptAliveRequestsAreAllAnswered) {
  RunningServer server(options());
  RawConnection c(server.port());
  const std::string get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  // Two requests in one packet: the second is already buffered when the first is answered.
  ASSERT_TRUE(c.send(get + get));
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string replies = c.receive(kAnswerWithin, closed);
  EXPECT_TRUE(closed);
  std::size_t answered = 0;
  for (auto at = replies.find("HTTP/1.1 200 OK\r\n"); at != std::string::npos;
       at = replies.find("HTTP/1.1 200 OK\r\n", at + 1))
    ++answered;
  EXPECT_EQ(answered, 3u) << replies;
}

TEST_F(SlowClients, PastMaxConnectionsTheLongestWaitingIsClosedForANewOne) {
  ServeOptions o = options();
  o.threads = 2;
  o.max_connections = 4;
  RunningServer server(o);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (std::size_t i = 0; i < o.max_connections; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(idle.back()->connected());
    std::this_thread::sleep_for(milliseconds(20));
  }
  time_health(server.port());
  bool closed = false;
  EXPECT_EQ(idle.front()->receive(milliseconds(1000), closed), "");
  EXPECT_TRUE(closed) << "the connection that waited longest is still open";
  idle.back()->receive(milliseconds(100), closed);
  EXPECT_FALSE(closed) << "the newest idle connection was closed";
}

TEST_F(SlowClients, PastMaxConnectionsWithAllBeingAnsweredANewOneGets503AtOnce) {
  ServeOptions o = options();
  o.threads = 1;
  o.max_connections = 1;
  o.read_timeout = milliseconds(2000);
  RunningServer server(o);
  // A request whose body never comes holds the one connection, on the worker.
  RawConnection post(server.port());
  ASSERT_TRUE(post.send("POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"));
  std::this_thread::sleep_for(milliseconds(300));
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(kAnswerWithin);
  auto start = Clock::now();
  auto res = client.Get("/health");
  auto took = Clock::now() - start;
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  EXPECT_NE(res->body.find("--max-connections"), std::string::npos) << res->body;
  EXPECT_LT(took, milliseconds(1000));
}

}  // namespace
}  // namespace marquee::api
