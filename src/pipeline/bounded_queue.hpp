#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace marquee::pipeline {

/// A bounded queue of chunks between the thread that inflates and parses a file and the one that
/// writes it into the batch: memory holds at most `Capacity` chunks, whatever the size of the
/// file, and each thread waits for the other only when the queue is full or empty.
template <typename Chunk, std::size_t Capacity = 4>
class BoundedQueue {
 public:
  /// False when the queue was closed (the writer stopped): the producer stops too.
  bool push(Chunk chunk) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || chunks_.size() < Capacity; });
    if (closed_) return false;
    chunks_.push_back(std::move(chunk));
    not_empty_.notify_one();
    return true;
  }
  /// Nullopt once the queue is closed and empty.
  std::optional<Chunk> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !chunks_.empty(); });
    if (chunks_.empty()) return std::nullopt;
    Chunk chunk = std::move(chunks_.front());
    chunks_.pop_front();
    not_full_.notify_one();
    return chunk;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Chunk> chunks_;
  bool closed_ = false;
};

/// The two halves of a load: `produce(queue)` runs on a thread of its own and pushes chunks,
/// `consume(chunk)` runs on this one for each chunk in order. When the consumer fails, the queue
/// is closed (the producer stops at its next push) and its error goes on; a producer's error is
/// rethrown here once the consumer has taken every chunk pushed before it.
template <typename Chunk, typename Produce, typename Consume>
void run_two_threads(BoundedQueue<Chunk>& queue, Produce produce, Consume consume) {
  std::exception_ptr produce_failure;
  std::thread producer([&] {
    try {
      produce(queue);
    } catch (...) {
      produce_failure = std::current_exception();
    }
    queue.close();
  });
  try {
    while (auto chunk = queue.pop()) consume(*chunk);
  } catch (...) {
    queue.close();
    producer.join();
    throw;
  }
  producer.join();
  if (produce_failure) std::rethrow_exception(produce_failure);
}

}  // namespace marquee::pipeline
