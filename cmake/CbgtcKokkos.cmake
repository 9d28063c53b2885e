# Find Kokkos and Kokkos Kernels, from either
#  - a Kokkos 4.x install (Spack, modules, or -DCMAKE_PREFIX_PATH=<prefix>), or
#  - Debian 12's Trilinos packages (Kokkos 3.4.01, libtrilinos-kokkos*-dev).
# Debian's config has two quirks that we absorb here instead of patching
# system files: Kokkos::kokkos points at a non-existent <prefix>/lib/include,
# and Kokkos Kernels only exports the Trilinos-style target
# trilinos_kokkoskernels and no version file.
# Result: the INTERFACE target cbgtc::kokkos (Kokkos + Kokkos Kernels).

find_package(Kokkos REQUIRED CONFIG)
# Decide before Kokkos Kernels is searched: Debian's KokkosKernels config
# loads the Trilinos Kokkos targets as a side effect.
set(_cbgtc_kokkos_is_trilinos FALSE)
if(TARGET trilinos_kokkoscore)
  set(_cbgtc_kokkos_is_trilinos TRUE)
endif()
find_package(KokkosKernels REQUIRED CONFIG)

# Kokkos's own version: 4.x sets Kokkos_VERSION; Debian's 3.4 too (3.4.01).
set(CBGTC_KOKKOS_VERSION "${Kokkos_VERSION}")

# Drop include directories that do not exist (Debian: /usr/lib/include) and
# add the ones Kokkos_INCLUDE_DIRS names instead.
if(TARGET Kokkos::kokkos)
  get_target_property(_cbgtc_inc Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
  if(_cbgtc_inc)
    set(_cbgtc_kept "")
    set(_cbgtc_dropped FALSE)
    foreach(_d IN LISTS _cbgtc_inc)
      if(_d MATCHES "^\\$<" OR EXISTS "${_d}")
        list(APPEND _cbgtc_kept "${_d}")
      else()
        set(_cbgtc_dropped TRUE)
      endif()
    endforeach()
    if(_cbgtc_dropped)
      foreach(_d IN LISTS Kokkos_INCLUDE_DIRS)
        if(EXISTS "${_d}")
          list(APPEND _cbgtc_kept "${_d}")
        endif()
      endforeach()
      set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_cbgtc_kept}")
      message(STATUS "cbgtc: removed non-existent include directories from Kokkos::kokkos")
    endif()
  endif()
endif()

# Kokkos Kernels target and version.
if(TARGET Kokkos::kokkoskernels)
  set(_cbgtc_kk_target Kokkos::kokkoskernels)
  set(CBGTC_KOKKOSKERNELS_VERSION "${KokkosKernels_VERSION}")
elseif(TARGET trilinos_kokkoskernels)
  set(_cbgtc_kk_target trilinos_kokkoskernels)
  # The Trilinos bundle ships Kokkos Kernels matched to its Kokkos; it has no
  # version of its own, so it is only valid next to the Trilinos Kokkos.
  set(CBGTC_KOKKOSKERNELS_VERSION "trilinos")
else()
  message(FATAL_ERROR "cbgtc: found KokkosKernels at ${KokkosKernels_DIR} but no usable target "
                      "(neither Kokkos::kokkoskernels nor trilinos_kokkoskernels)")
endif()

# Refuse mixed installs, e.g. Kokkos 4.6 from /opt with Debian's 3.4 Kernels
# from /usr (what Kokkos_ROOT alone gives).
if(CBGTC_KOKKOSKERNELS_VERSION STREQUAL "trilinos")
  if(NOT _cbgtc_kokkos_is_trilinos)
    message(FATAL_ERROR
      "cbgtc: Kokkos ${Kokkos_VERSION} (${Kokkos_DIR}) but Kokkos Kernels is Debian/Trilinos's "
      "3.4 bundle (${KokkosKernels_DIR}). Point CMAKE_PREFIX_PATH at the prefix holding both "
      "Kokkos and Kokkos Kernels of the same version.")
  endif()
else()
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" _cbgtc_k_mm "${Kokkos_VERSION}")
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" _cbgtc_kk_mm "${KokkosKernels_VERSION}")
  if(_cbgtc_kokkos_is_trilinos OR NOT _cbgtc_k_mm STREQUAL _cbgtc_kk_mm)
    message(FATAL_ERROR
      "cbgtc: Kokkos ${Kokkos_VERSION} (${Kokkos_DIR}) and Kokkos Kernels ${KokkosKernels_VERSION} "
      "(${KokkosKernels_DIR}) do not match. Point CMAKE_PREFIX_PATH at one prefix holding both.")
  endif()
endif()

add_library(cbgtc_kokkos INTERFACE)
target_link_libraries(cbgtc_kokkos INTERFACE Kokkos::kokkos ${_cbgtc_kk_target})
if(_cbgtc_kokkos_is_trilinos)
  # The Trilinos target carries no include directory of its own.
  target_include_directories(cbgtc_kokkos SYSTEM INTERFACE ${KokkosKernels_INCLUDE_DIRS})
endif()
add_library(cbgtc::kokkos ALIAS cbgtc_kokkos)

set(CBGTC_KOKKOS_DEVICES "${Kokkos_DEVICES}")
message(STATUS "cbgtc: Kokkos ${Kokkos_VERSION} [${Kokkos_DEVICES}] from ${Kokkos_DIR}; "
               "Kokkos Kernels ${CBGTC_KOKKOSKERNELS_VERSION} from ${KokkosKernels_DIR}")
