# cmake --install into a fresh prefix, then configure, build and test a
# consumer project against it (tests/install/consumer). Run by ctest:
#   cmake -DBUILD_DIR=... -DWORK_DIR=... -DPYTHON=... -P check_install.cmake
foreach(v BUILD_DIR WORK_DIR SOURCE_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_install.cmake: ${v} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

step("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/cbgtc bin/cbgtc-plot share/cbgtc/input/default.ini share/cbgtc/python/cbgtc/plot.py
          share/doc/cbgtc/LICENSE share/doc/cbgtc/CITATION.cff)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install has no ${f}")
  endif()
endforeach()
file(GLOB configs ${prefix}/lib*/cmake/cbgtc/cbgtcConfig.cmake)
if(NOT configs)
  message(FATAL_ERROR "the install has no lib*/cmake/cbgtc/cbgtcConfig.cmake")
endif()
step("configure the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/consumer
     -DCMAKE_PREFIX_PATH=${prefix} -DCONSUMER_PYTHON=${PYTHON})
step("build the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
step("test the consumer" ${CMAKE_CTEST_COMMAND} --output-on-failure --test-dir ${WORK_DIR}/consumer)
message(STATUS "${step_output}")
