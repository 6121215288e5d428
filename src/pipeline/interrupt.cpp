#include "pipeline/interrupt.hpp"

#include <signal.h>

#include <atomic>

#include <fmt/format.h>

namespace marquee::pipeline {
namespace {

std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

void on_stop_signal(int signal_number) {
  g_stop_signal.store(signal_number, std::memory_order_relaxed);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the second signal takes the default action and ends the process.
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() {
  return g_stop_signal.load(std::memory_order_relaxed);
}

void stop_if_requested(const std::string& where) {
  int signal_number = stop_signal();
  if (signal_number == 0) return;
  throw Interrupted(signal_number,
                    fmt::format("interrupted by {} {}; nothing of the open batch was committed and "
                                "its archive stays in staging/incoming/: run `marquee load` again "
                                "to finish it",
                                signal_number == SIGINT ? "SIGINT" : "SIGTERM", where));
}

void clear_stop_request() {
  g_stop_signal.store(0, std::memory_order_relaxed);
}

}  // namespace marquee::pipeline
