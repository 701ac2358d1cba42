// SIGINT and SIGTERM end a run cleanly (issue 12): the first asks it to stop taking new
// scenes; what is in flight finishes and is committed, the run says how to --resume and
// exits 128 + the signal's number (130, 143: what a shell reports for a signal). A second
// signal ends the process at once (the default action): the journal keeps --resume exact
// either way. SIGXFSZ (a file-size limit, `ulimit -f`) is caught rather than left to kill
// the process in silence: the write fails with EFBIG, the writer's error names the file, and
// the run ends with 128 + SIGXFSZ (153), what it committed kept for --resume (SPEC 3).
#pragma once

namespace sw {

class stop_signal_scope {
 public:
  stop_signal_scope();   // installs the handlers for the life of the run
  ~stop_signal_scope();  // restores the previous ones
  stop_signal_scope(const stop_signal_scope&) = delete;
  stop_signal_scope& operator=(const stop_signal_scope&) = delete;
};

// The signal that asked the run to stop, 0 while none did. Async-signal-safe to set.
int stop_requested();

}  // namespace sw
