#pragma once
// The API tests' shared parts: a fresh folder, batches loaded with the real pipeline, a
// generated archive with ratings, and a server on a free loopback port.
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "api/server.hpp"
#include "gen/generator.hpp"
#include "pipeline/job.hpp"

namespace marquee::api::testing {

inline std::filesystem::path fresh_dir(const std::string& name) {
  std::random_device rd;
  auto dir = std::filesystem::path(MARQUEE_BINARY_DIR) / "test-tmp" /
             fmt::format("api-{}-{:08x}", name, rd());
  std::filesystem::create_directories(dir);
  return dir;
}

/// Loads `csv_files` (each becomes movies_metadata.csv of one batch, in order) into a fresh
/// workdir with the real pipeline, as `marquee run` would. Returns the SQLite database.
inline std::filesystem::path load_batches(const std::filesystem::path& root,
                                          const std::vector<std::filesystem::path>& csv_files) {
  namespace fs = std::filesystem;
  pipeline::JobOptions options;
  options.workdir = root / "work";
  options.max_reject_ratio = 0.05;
  for (std::size_t i = 0; i < csv_files.size(); ++i) {
    auto data = root / fmt::format("data{}", i);
    fs::create_directories(data);
    fs::copy_file(csv_files[i], data / "movies_metadata.csv", fs::copy_options::overwrite_existing);
    pipeline::Job(options).run(data.string());
  }
  return options.workdir / "marquee.db";
}

/// A small synthetic archive with every entry of the real one, ratings included: about 450 movies
/// and 10,000 ratings, byte-identical on every run (gen::generate is seeded). The golden fixture
/// has no ratings.
inline std::filesystem::path generated_archive(const std::filesystem::path& root) {
  gen::GenerateOptions options;
  options.scale = 0.01;
  options.seed = 13;
  options.ratings_scale = 0.0004;
  options.out = root / "the-movies-dataset.zip";
  gen::generate(options);
  return options.out;
}

/// Serving `db` on a free loopback port with the repository's web folder.
inline ServeOptions loopback_options(const std::filesystem::path& db, std::size_t threads = 4) {
  ServeOptions options;
  options.db_url = "sqlite:" + db.string();
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = threads;
  options.web_dir = std::filesystem::path(MARQUEE_SOURCE_DIR) / "web";
  return options;
}

/// A server listening on its own thread.
class RunningServer {
 public:
  explicit RunningServer(const std::filesystem::path& db, std::size_t threads = 4)
      : RunningServer(loopback_options(db, threads)) {}
  explicit RunningServer(const ServeOptions& options) : server_(std::make_unique<Server>(options)) {
    server_->bind();
    thread_ = std::thread([this] { server_->listen(); });
    for (int i = 0; i < 500 && !server_->running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;
  int port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace marquee::api::testing
