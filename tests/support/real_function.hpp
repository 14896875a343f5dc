// real_function.hpp: how a preloaded shim (noise/, explore/) reaches the
// function it stands in for: the next definition of the name, behind the shim.
#pragma once

#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

namespace kata_shim {

/// The next `name` after this library (libc's); nullptr when there is none.
/// Where a symbol has several versions, `version` picks one: pthread_cond_*
/// have an old one and a new one, GLIBC_2.3.2, and an unversioned lookup may
/// find the old.
template <class F>
F real_function(const char* name, const char* version = nullptr) {
  void* f = version ? dlvsym(RTLD_NEXT, name, version) : nullptr;
  if (!f) f = dlsym(RTLD_NEXT, name);
  return reinterpret_cast<F>(f);
}

using LockFn = int (*)(pthread_mutex_t*);
using CondWaitFn = int (*)(pthread_cond_t*, pthread_mutex_t*);
using CondTimedWaitFn = int (*)(pthread_cond_t*, pthread_mutex_t*, const timespec*);
using CondClockWaitFn = int (*)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const timespec*);
using CondSignalFn = int (*)(pthread_cond_t*);
using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

}  // namespace kata_shim
