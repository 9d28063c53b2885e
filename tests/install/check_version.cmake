# CITATION.cff's "version:" must be the project() version (VERSION).
file(STRINGS ${FILE} line REGEX "^version:")
string(REGEX REPLACE "^version:[ \t]*\"?([^\"]*)\"?[ \t]*$" "\\1" cited "${line}")
if(NOT cited STREQUAL VERSION)
  message(FATAL_ERROR "${FILE} says version '${cited}', CMakeLists.txt's project() says '${VERSION}'")
endif()
