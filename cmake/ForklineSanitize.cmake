# FORKLINE_SANITIZE: build every Forkline target (libraries, daemon, CLI, tests, benches)
# with the named sanitizers, e.g. -DFORKLINE_SANITIZE=address,undefined or =thread.
# `make asan` / `make tsan` set it (build-asan, build-tsan; tests/sanitizers/run.sh).
# Undefined behaviour is fatal (-fno-sanitize-recover), so a UBSan report fails its test.
# Third-party libraries from Debian (RocksDB, libzmq, Boost's compiled parts, GoogleTest)
# are not instrumented; tests/sanitizers/*.supp name what that costs.
# Default: empty (no sanitizer).
set(FORKLINE_SANITIZE "" CACHE STRING
    "Sanitizers for every Forkline target: address,undefined | thread | empty")

if(FORKLINE_SANITIZE)
  if(FORKLINE_SANITIZE MATCHES "thread" AND FORKLINE_SANITIZE MATCHES "address")
    message(FATAL_ERROR "FORKLINE_SANITIZE: thread and address cannot be combined")
  endif()
  set(forkline_sanitize_flags -fsanitize=${FORKLINE_SANITIZE} -fno-omit-frame-pointer)
  if(FORKLINE_SANITIZE MATCHES "undefined")
    list(APPEND forkline_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  if(FORKLINE_SANITIZE MATCHES "thread")
    # Boost.Asio orders some handler hand-offs with std::atomic_thread_fence, which TSan
    # does not model (g++ -Wtsan says so); without the fenced blocks Asio relies on the
    # mutexes TSan does see.
    list(APPEND forkline_sanitize_flags -DBOOST_ASIO_DISABLE_FENCED_BLOCK)
  endif()
  add_compile_options(${forkline_sanitize_flags})
  add_link_options(-fsanitize=${FORKLINE_SANITIZE})
  message(STATUS "Forkline: sanitizers ${FORKLINE_SANITIZE}")
endif()
