#include "api/server.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "api/report_cache.hpp"
#include "api/routes.hpp"
#include "common/error.hpp"

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

/// httplib's task queue, one thread per store connection.
class StoreWorkerPool final : public httplib::TaskQueue {
 public:
  explicit StoreWorkerPool(const std::vector<std::unique_ptr<store::Store>>& stores) {
    for (const auto& s : stores) threads_.emplace_back([this, st = s.get()] { work(*st); });
  }
  ~StoreWorkerPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(fn));
    }
    cond_.notify_one();
  }

  /// Lets queued connections finish, then joins the workers.
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    cond_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void work(store::Store& store) {
    t_worker_store = &store;
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        cond_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) break;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      try {
        fn();
      } catch (const std::exception& e) {
        spdlog::error("serve: a connection failed: {}", e.what());
      }
    }
    t_worker_store = nullptr;
  }

  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::mutex mutex_;
  std::condition_variable cond_;
};

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
  httplib::Server http;
  int port = 0;
  bool bound = false;
  std::atomic<bool> stop_requested{false};
  std::atomic<std::uint64_t> requests{0};

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
  const fs::path chart = "chart.js/dist/chart.umd.js";
  fs::path modules = first_existing(
      candidates(options.node_modules, "MARQUEE_NODE_MODULES",
                 {exe / "node/node_modules", source_root() / "build/node/node_modules"}),
      chart);
  if (modules.empty()) {
    spdlog::warn(
        "serve: chart.js not found (npm ci in build/node, or set MARQUEE_NODE_MODULES); the "
        "dashboard shows "
        "tables without charts");
  } else {
    files["/vendor/chart.umd.js"] = {read_whole(modules / chart), "text/javascript; charset=utf-8"};
    spdlog::info("serve: charts from {}", fs::weakly_canonical(modules / chart).string());
  }
}

void Server::Impl::handle_api(const RouteSpec& route, const httplib::Request& req,
                              httplib::Response& res) {
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
  // The dashboard's files, after the API so that no file can shadow a route.
  http.Get(R"(/[A-Za-z0-9_.\-/]*)", [this](const httplib::Request& req, httplib::Response& res) {
    auto it = files.find(req.path);
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
      return;
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                          t_request_start)
                    .count();
    t_request_start = {};
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
  for (std::size_t i = 0; i < d.options.threads; ++i)
    d.stores.push_back(
        store::open_store(d.options.db_url, {.read_only = true, .must_exist = true}));
  auto snap = d.cache.current(*d.stores.front());
  spdlog::info("serve: {}: reports read in {:.0f} ms ({} companies, {} genres, {} genre-years)",
               d.stores.front()->describe(), snap->build_ms, snap->companies.size(),
               snap->genres.size(), snap->genre_yearly.size());
  d.load_static_files();

  // One pool thread per store connection.
  d.http.new_task_queue = [&d] { return std::make_unique<StoreWorkerPool>(d.stores).release(); };
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let two servers share a port silently.
  d.http.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // httplib writes headers and body in separate sends; with Nagle's algorithm the body then waits
  // for the client's delayed ACK, about 40 ms per keep-alive request.
  d.http.set_tcp_nodelay(true);
  d.http.set_keep_alive_max_count(1000);
  d.http.set_keep_alive_timeout(2);
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
  spdlog::info("serve: stopped after {} requests", d.requests.load());
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
      "serve: dashboard at http://{}:{}/ , API at /api (see /api/openapi.json), {} workers; stop "
      "with "
      "Ctrl-C or SIGTERM",
      options.host, server.port(), options.threads);

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
