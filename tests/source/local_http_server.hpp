#pragma once

// A small HTTP/1.1 server on a loopback port for tests: each test hands it a function that
// writes the raw response, so a test can drop a connection mid-body, stall, or lie about the
// length. Each connection gets a thread (a stalled answer does not hold up the next request)
// and is closed after its response.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace marquee::testing {

struct HttpExchange {
  std::string method;
  std::string target;                          ///< path and query as sent
  std::map<std::string, std::string> headers;  ///< lower-case names; repeated headers joined
  std::string raw;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string path() const { return target.substr(0, target.find('?')); }
  std::string query() const {
    auto mark = target.find('?');
    return mark == std::string::npos ? std::string() : target.substr(mark + 1);
  }
};

/// Writes all of `data`; false when the client has gone away.
inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// A status line and headers (Connection: close added), then `body`.
inline std::string http_response(int status, const std::vector<std::string>& headers,
                                 std::string_view body, bool with_length = true) {
  std::string text = fmt::format("HTTP/1.1 {} X\r\nConnection: close\r\n", status);
  for (const auto& header : headers) text += header + "\r\n";
  if (with_length) text += fmt::format("Content-Length: {}\r\n", body.size());
  text += "\r\n";
  text += body;
  return text;
}

class LocalHttpServer {
 public:
  using Handler = std::function<void(const HttpExchange& request, int fd)>;

  explicit LocalHttpServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket failed");
    int yes = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      throw std::runtime_error("bind/listen failed");
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~LocalHttpServer() {
    stop_ = true;
    thread_.join();
    for (auto& connection : connections_) connection.join();
    ::close(listen_fd_);
  }

  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  std::string url(const std::string& path) const { return base_url() + path; }

  std::vector<HttpExchange> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd watch{listen_fd_, POLLIN, 0};
      if (::poll(&watch, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      connections_.emplace_back([this, fd] { answer(fd); });
    }
  }

  void answer(int fd) {
    HttpExchange request;
    if (read_request(fd, request)) {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      handler_(request, fd);
    }
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  static bool read_request(int fd, HttpExchange& request) {
    std::string data;
    char buffer[4096];
    while (data.find("\r\n\r\n") == std::string::npos) {
      pollfd watch{fd, POLLIN, 0};
      if (::poll(&watch, 1, 5000) <= 0) return false;
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      data.append(buffer, static_cast<std::size_t>(n));
    }
    request.raw = data.substr(0, data.find("\r\n\r\n") + 4);
    std::size_t line_end = data.find("\r\n");
    std::string first = data.substr(0, line_end);
    auto space1 = first.find(' ');
    auto space2 = first.find(' ', space1 + 1);
    request.method = first.substr(0, space1);
    request.target = first.substr(space1 + 1, space2 - space1 - 1);
    std::size_t at = line_end + 2;
    while (true) {
      std::size_t end = data.find("\r\n", at);
      if (end == std::string::npos || end == at) break;
      std::string line = data.substr(at, end - at);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        auto& slot = request.headers[name];
        slot = slot.empty() ? value : slot + "," + value;
      }
      at = end + 2;
    }
    return true;
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;  ///< touched by the accepting thread only
  mutable std::mutex mutex_;
  std::vector<HttpExchange> requests_;
};

/// Answers like a plain file server holding `body`: HEAD, GET, and GET with "Range: bytes=N-".
inline void serve_object(const HttpExchange& request, int fd, std::string_view body,
                         const std::string& etag) {
  std::vector<std::string> headers = {"ETag: \"" + etag + "\"",
                                      "Last-Modified: Wed, 12 Oct 2022 17:50:00 GMT",
                                      "Accept-Ranges: bytes"};
  std::string range = request.header("range");
  std::size_t from = 0;
  int status = 200;
  if (range.starts_with("bytes=")) {
    from = std::stoull(range.substr(6));
    if (from >= body.size()) {
      send_all(fd, http_response(416, {fmt::format("Content-Range: bytes */{}", body.size())}, ""));
      return;
    }
    status = 206;
    headers.push_back(
        fmt::format("Content-Range: bytes {}-{}/{}", from, body.size() - 1, body.size()));
  }
  std::string_view slice = body.substr(from);
  if (request.method == "HEAD") {
    headers.push_back(fmt::format("Content-Length: {}", slice.size()));
    send_all(fd, http_response(status, headers, "", false));
    return;
  }
  send_all(fd, http_response(status, headers, slice));
}

}  // namespace marquee::testing
