# The include directions of the layers (cmake -P, from the source root):
#   kernels/  includes only kernels/ (and the generated cbgtc_config.hpp):
#             point functions and launchers know no files, options or MPI;
#   io/       includes no kernels/: writers take host data.
# Fails with the offending file and line.
cmake_minimum_required(VERSION 3.16)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<repo> -P check_layers.cmake")
endif()

set(violations "")
function(check_layer layer forbidden_regex)
  file(GLOB_RECURSE files "${SOURCE_DIR}/${layer}/*.hpp" "${SOURCE_DIR}/${layer}/*.cpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      if(line MATCHES "${forbidden_regex}")
        file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
        list(APPEND violations "${rel}: ${line}")
      endif()
    endforeach()
  endforeach()
  set(violations "${violations}" PARENT_SCOPE)
endfunction()

check_layer(kernels "#[ \t]*include[ \t]*\"(src|io|tests|perf)/")
check_layer(io "#[ \t]*include[ \t]*\"kernels/")

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "includes across a forbidden layer direction:\n  ${text}")
endif()
message(STATUS "layers: kernels/ includes only kernels/, io/ includes no kernels/")
