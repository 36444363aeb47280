// Clang thread-safety analysis attributes (-Wthread-safety). With any other
// compiler they expand to nothing, so they document and, under clang, check:
//
//   GUARDED_BY(mu)       a member that may be read or written only with `mu` held
//   PT_GUARDED_BY(mu)    the object a pointer member points to, likewise
//   REQUIRES(mu...)      a function its caller must call with `mu` held
//   EXCLUDES(mu...)      a function its caller must call without `mu` (it locks)
//   ACQUIRE(mu...)       a function that returns with `mu` held
//   RELEASE(mu...)       a function that returns with `mu` released
//   TRY_ACQUIRE(ok, mu)  a function that holds `mu` when it returns `ok`
//   ASSERT_CAPABILITY(m) a function that tells the analysis `m` is held
//   RETURN_CAPABILITY(m) a function that returns (a reference to) `m`
//   CAPABILITY(name)     a class that is a lock (see berth::Mutex)
//   SCOPED_CAPABILITY    an RAII class that holds a lock (see berth::MutexLock)
//   NO_THREAD_SAFETY_ANALYSIS  a function the analysis skips; say why beside it
//
// With no argument, ACQUIRE/RELEASE/TRY_ACQUIRE name `this` (for the lock
// class's own methods). scripts/check-thread-safety runs the analysis.
#pragma once

#if defined(__clang__)
#define BERTH_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define BERTH_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(name) BERTH_THREAD_ANNOTATION(capability(name))
#define SCOPED_CAPABILITY BERTH_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) BERTH_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) BERTH_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) BERTH_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) BERTH_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) BERTH_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) BERTH_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) BERTH_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) BERTH_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) BERTH_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS BERTH_THREAD_ANNOTATION(no_thread_safety_analysis)
