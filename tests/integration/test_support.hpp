#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace marquee::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// The header of movies_metadata.csv: its 24 columns in the real file's order, without a line end.
inline constexpr const char* kMoviesHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
    "original_title,overview,popularity,poster_path,production_companies,production_countries,"
    "release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,"
    "vote_count";

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs a shell command, capturing its output and exit code.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe))
    result.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string marquee_binary() {
  return std::string(MARQUEE_BINARY_DIR) + "/marquee";
}

/// Runs build/marquee with the given arguments (each shell-quoted).
inline CommandResult run_marquee(const std::vector<std::string>& args) {
  std::string command = shell_quote(marquee_binary());
  for (const auto& a : args) command += " " + shell_quote(a);
  return run_command(command);
}

/// A fresh folder under the build tree, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::path(MARQUEE_BINARY_DIR) / "test-tmp" /
            fmt::format("t{:08x}{:08x}", rd(), rd());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    if (std::getenv("MARQUEE_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::filesystem::path fixture(const std::string& relative) {
  return std::filesystem::path(MARQUEE_FIXTURES_DIR) / relative;
}

/// Zips the given files (stored under their base names) into `zip` with Info-ZIP's zip.
inline void make_zip(const std::filesystem::path& zip,
                     const std::vector<std::filesystem::path>& files) {
  std::string command = "zip -q -j " + shell_quote(zip.string());
  for (const auto& f : files) command += " " + shell_quote(f.string());
  auto r = run_command(command);
  if (r.exit_code != 0) throw std::runtime_error("zip failed: " + r.output);
}

/// A SigV4-signed PUT to the test S3 endpoint with curl's own signer (s3rver's account is
/// S3RVER/S3RVER): the bucket when `key` is empty, else an object with the bytes of `file`.
inline CommandResult s3_put(const std::string& endpoint, const std::string& bucket,
                            const std::string& key, const std::string& file = "") {
  std::string url = fmt::format("{}/{}{}", endpoint, bucket, key.empty() ? "" : "/" + key);
  std::string cmd =
      "curl -sS -f -X PUT --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER "
      "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' " +
      shell_quote(url);
  if (!file.empty()) cmd += " --data-binary @" + shell_quote(file);
  return run_command(cmd);
}

/// A database of its own on the test PostgreSQL server (MARQUEE_TEST_PG, started by test.sh),
/// dropped when the test ends. url() is empty when no server was given.
class PostgresDatabase {
 public:
  PostgresDatabase() {
    const char* admin = std::getenv("MARQUEE_TEST_PG");
    if (admin == nullptr) return;
    admin_ = admin;
    std::random_device rd;
    name_ = fmt::format("marquee_it_{:08x}", rd());
    auto r = run_command("psql -q " + shell_quote(admin_) + " -c " +
                         shell_quote("CREATE DATABASE " + name_));
    if (r.exit_code != 0) throw std::runtime_error("CREATE DATABASE failed: " + r.output);
    url_ = admin_.substr(0, admin_.rfind('/') + 1) + name_;
  }
  ~PostgresDatabase() {
    if (!url_.empty()) {
      run_command("psql -q " + shell_quote(admin_) + " -c " +
                  shell_quote("DROP DATABASE " + name_ + " WITH (FORCE)"));
    }
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  const std::string& url() const { return url_; }

 private:
  std::string admin_, name_, url_;
};

/// `marquee load` in the background, its output in a file, so that the test can signal it.
class BackgroundLoad {
 public:
  explicit BackgroundLoad(const std::filesystem::path& workdir, const std::string& db = "",
                          std::vector<std::string> command = {"load"})
      : workdir_(workdir) {
    std::string binary = marquee_binary();
    std::string output = (workdir / "load.out").string();
    std::filesystem::create_directories(workdir);
    std::vector<std::string> args = {binary};
    args.insert(args.end(), command.begin(), command.end());
    args.insert(args.end(), {"--workdir", workdir.string()});
    if (!db.empty()) args.insert(args.end(), {"--db", db});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
  }
  ~BackgroundLoad() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  /// Waits until the main log says the batch has begun; false after 30 s or when it exited.
  bool wait_for_log(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (read_file(workdir_ / "log/data-engineer-project.log").find(text) != std::string::npos)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  /// Sends the signal and returns the wait status.
  int signal_and_wait(int signal_number) {
    ::kill(pid_, signal_number);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  std::string output() const { return read_file(workdir_ / "load.out"); }

 private:
  std::filesystem::path workdir_;
  pid_t pid_ = -1;
};

}  // namespace marquee::testing
