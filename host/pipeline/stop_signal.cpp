#include "host/pipeline/stop_signal.hpp"

#include <atomic>
#include <csignal>

namespace sw {
namespace {

std::atomic<int> g_stop{0};
struct sigaction g_old_int {
}, g_old_term{}, g_old_xfsz{};

extern "C" void on_stop(int sig) {
  g_stop.store(sig, std::memory_order_relaxed);
  // the next one takes the default action: a user who presses Ctrl-C twice means it
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGINT, &dfl, nullptr);
  sigaction(SIGTERM, &dfl, nullptr);
}

// A write past the file-size limit: the write itself fails with EFBIG (the signal is
// caught, so it does not kill), the writer's error names the file, and the run ends as a
// SIGXFSZ-stopped one (run_batch). A SIGXFSZ sent by hand stops the run like SIGTERM.
extern "C" void on_file_size_limit(int sig) {
  g_stop.store(sig, std::memory_order_relaxed);
}

}  // namespace

stop_signal_scope::stop_signal_scope() {
  g_stop.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sa.sa_flags = SA_RESTART;  // reads and writes in flight go on: they finish the pairs
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
  struct sigaction xfsz {};
  xfsz.sa_handler = on_file_size_limit;
  xfsz.sa_flags = SA_RESTART;
  sigemptyset(&xfsz.sa_mask);
  sigaction(SIGXFSZ, &xfsz, &g_old_xfsz);
}

stop_signal_scope::~stop_signal_scope() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGXFSZ, &g_old_xfsz, nullptr);
}

int stop_requested() {
  return g_stop.load(std::memory_order_relaxed);
}

}  // namespace sw
