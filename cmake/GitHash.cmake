# The commit the sources are at, with "-dirty" when the code (src, kernels,
# io, cmake, CMakeLists.txt) differs from it, into include/cbgtc_git.hpp,
# which is rewritten only when that changes. Included at configure time and
# run as a script (cmake -P) before every build, so that an output file
# names neither a stale commit nor a commit whose code it was not built from.
# Inputs: GIT_HASH_SOURCE_DIR, GIT_HASH_BINARY_DIR, GIT_EXECUTABLE (may be empty).
set(CBGTC_GIT_HASH "unknown")
if(GIT_EXECUTABLE)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${GIT_HASH_SOURCE_DIR}"
                  OUTPUT_VARIABLE _cbgtc_hash OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _cbgtc_rc ERROR_QUIET)
  if(_cbgtc_rc EQUAL 0)
    set(CBGTC_GIT_HASH "${_cbgtc_hash}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" diff --quiet HEAD -- src kernels io cmake CMakeLists.txt
                    WORKING_DIRECTORY "${GIT_HASH_SOURCE_DIR}"
                    RESULT_VARIABLE _cbgtc_dirty ERROR_QUIET)
    if(_cbgtc_dirty EQUAL 1)
      string(APPEND CBGTC_GIT_HASH "-dirty")
    endif()
  endif()
endif()
configure_file("${GIT_HASH_SOURCE_DIR}/cmake/cbgtc_git.hpp.in" "${GIT_HASH_BINARY_DIR}/include/cbgtc_git.hpp" @ONLY)
