#pragma once

#include <stdexcept>
#include <string>

namespace marquee::pipeline {

/// Exit status of a run stopped by SIGINT or SIGTERM: the shell's 128 + signal number (130, 143),
/// beside SPEC 7's codes, so that schedulers see an interruption, not a data or database error.
inline int interrupted_exit_code(int signal_number) {
  return 128 + signal_number;
}

/// Thrown at a safe point (between records, between archives) after SIGINT or SIGTERM: the batch
/// in progress is rolled back and its archive stays in staging/incoming/ for the next run.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal_number, const std::string& message)
      : std::runtime_error(message), signal_(signal_number) {}
  int signal_number() const { return signal_; }

 private:
  int signal_;
};

/// Catches SIGINT and SIGTERM: the first asks the run to stop at the next safe point; a second
/// one ends the process at once (the database still rolls the open batch back).
void install_stop_handlers();

/// The signal that asked to stop, 0 when none did.
int stop_signal();

/// Forgets a stop that was asked (a process that goes on after handling it, such as a test).
void clear_stop_request();

/// Throws Interrupted when a stop was asked; `where` names the safe point for the message.
void stop_if_requested(const std::string& where);

}  // namespace marquee::pipeline
