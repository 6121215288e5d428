#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace marquee::api {

/// What `marquee serve` is told on the command line.
struct ServeOptions {
  std::string db_url;  ///< required: sqlite:PATH (must exist already) or postgresql://…
  std::string host = "127.0.0.1";
  int port = 8080;  ///< 0: any free port (see Server::port())
  /// Worker threads, each with its own store connection: the number of requests answered at
  /// once. A connection holds a worker only while its request is answered: it waits for its
  /// request header (and between keep-alive requests) in a single poll thread.
  std::size_t threads = 8;
  /// The most time a client may take to send a request, header and body, counted from its
  /// connection or, on a kept-alive connection, from the request's first byte. A client still
  /// sending then is answered 408 and closed, however steadily it trickles bytes: a per-read
  /// idle timeout alone would let one byte a second hold a connection for hours.
  std::chrono::milliseconds read_timeout{10'000};
  /// The most client connections held at once, waiting or being answered. A connection past it
  /// closes the one that has waited longest for its request (an idle or trickling client), or,
  /// when every held connection is being answered, is answered 503 and closed. Lowered (with a
  /// warning) to fit the open-file limit, which the server first raises to its hard limit.
  std::size_t max_connections = 1000;
  /// The dashboard's static files; empty: $MARQUEE_WEB_DIR, <exe>/../share/marquee/web,
  /// <exe>/../web, then the source tree's web/.
  std::filesystem::path web_dir;
  /// Where chart.js is installed (npm); empty: $MARQUEE_NODE_MODULES, the web folder's
  /// vendor/chart.umd.js (what an install puts there), <exe>/node/node_modules, then the source
  /// tree's build/node/node_modules. Without it the dashboard shows tables only.
  std::filesystem::path node_modules;
};

/// One API route: what the router serves and what /api/openapi.json describes.
struct RouteInfo {
  std::string method;                    ///< "GET"
  std::string path;                      ///< OpenAPI template, e.g. "/api/companies/{id}/yearly"
  std::vector<std::string> path_params;  ///< in the order they appear
  std::vector<std::string> query_params;
};

/// The routes the router registers, in registration order (static dashboard files excluded).
std::vector<RouteInfo> api_routes();

/// The OpenAPI 3 document served at /api/openapi.json, generated from the same route table that
/// validates the parameters, so the two cannot drift apart.
nlohmann::ordered_json openapi_document();

/// The read-only HTTP API and dashboard over one store. Answers come from the six
/// sql/reports/ queries, run once and kept in memory until another batch is loaded.
class Server {
 public:
  /// Opens one store connection per worker and reads the reports once; throws marquee::Error
  /// (exit 4) when the database is missing or unreadable.
  explicit Server(ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listening socket; throws marquee::Error (exit 1) when the address is unusable.
  void bind();
  /// The bound port (useful after binding port 0).
  int port() const;
  /// Serves until stop(); call once, after bind().
  void listen();
  /// Stops accepting, lets in-flight requests finish, and makes listen() return. Thread-safe.
  void stop();
  /// True once listen() is accepting connections.
  bool running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// `marquee serve`: binds, logs the URL, serves until SIGTERM or SIGINT, then shuts down cleanly
/// (in-flight requests are answered). Throws marquee::Error for what stops it starting.
void serve(const ServeOptions& options);

}  // namespace marquee::api
