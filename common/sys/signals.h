#pragma once

#include <chrono>
#include <optional>
#include <span>

namespace tp0::sys {

// Process-wide reaction to signals, following the self-pipe pattern: the handlers only
// set a flag and write one byte to a pipe, so any blocking wait that also polls
// wake_fd() returns as soon as a signal arrives. All real work happens in normal code.
namespace signals {

// Installs handlers for SIGTERM and SIGINT (shutdown) and SIGCHLD (a child exited),
// and ignores SIGPIPE so that a vanished peer is an error return, not a death.
// REQUIRES: called once, early in main, before any fork.
void install();

// In a freshly forked child: replaces the inherited self-pipe with one of its own, so
// that parent and child no longer wake each other. Keeps a shutdown already requested.
void reopen_after_fork();

// In a child forked from a process that holds descriptors of its own at that moment (a
// listener, a connection it accepted), after reopen_after_fork(): closes every
// descriptor but stdin, stdout, stderr, the self-pipe and those in `keep`. Whatever owned
// the others in the parent must not be destroyed in the child (it leaves with _exit).
void close_inherited_descriptors(std::span<const int> keep);

// True once SIGTERM or SIGINT has been received.
bool shutdown_requested();

// Which signal asked for the shutdown (0 if none).
int shutdown_signal();

// True if SIGCHLD arrived since the last call; clears the flag.
bool consume_child_exited();

// Readable whenever a signal arrived since the last drain_wake_fd().
int wake_fd();

// Empties the self-pipe. The flags above keep what was received.
void drain_wake_fd();

}  // namespace signals

enum class WaitResult { kReady, kShutdown, kTimeout };

// Waits until `fd` reports one of `events` (poll(2) flags), a shutdown is requested, or
// `timeout` passes (no timeout: wait indefinitely). A pending shutdown wins over readiness.
WaitResult wait_for(int fd, short events, std::optional<std::chrono::milliseconds> timeout);

// Sleeps for `duration` unless a shutdown is requested first. Returns false in that case.
bool sleep_unless_shutdown(std::chrono::milliseconds duration);

}  // namespace tp0::sys
