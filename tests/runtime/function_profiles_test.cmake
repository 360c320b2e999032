# lambench_add_function() argument handling, checked by configuring throw-away projects:
# SKIP writes SKIPPED (and no bootstrap), PROFILES limits the artifacts, bad arguments fail
# the configure with a message that names the mistake.
foreach(var SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "function_profiles_test: ${var} is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})

# Writes a project calling lambench_add_function(<call>) and configures it.
function(configure_probe name call result_var output_var)
  set(dir ${WORK_DIR}/${name})
  file(WRITE ${dir}/src/main.cpp "int main() { return 0; }\n")
  file(WRITE ${dir}/src/CMakeLists.txt "
cmake_minimum_required(VERSION 3.25)
project(probe CXX)
list(APPEND CMAKE_MODULE_PATH ${SOURCE_DIR}/cmake)
include(LambenchFunction)
# Stand-ins for the runtime targets: only the configure step is under test here.
add_library(lambench_runtime_lto INTERFACE)
add_library(lambench_runtime INTERFACE)
add_library(lambench::runtime ALIAS lambench_runtime)
lambench_add_function(${call})
")
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${dir}/src -B ${dir}/build
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${result_var} ${rc} PARENT_SCOPE)
  set(${output_var} "${out}${err}" PARENT_SCOPE)
endfunction()

# 1. SKIP + PROFILES.
configure_probe(skip "probe SOURCES main.cpp PROFILES shared static SKIP static \"libfoo has no static archive\"" rc out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "valid call failed to configure:\n${out}")
endif()
set(fn ${WORK_DIR}/skip/build/functions/probe)
file(READ ${fn}/static/SKIPPED reason)
if(NOT reason STREQUAL "libfoo has no static archive\n")
  message(FATAL_ERROR "SKIPPED holds '${reason}'")
endif()
if(EXISTS ${fn}/static/bootstrap OR EXISTS ${fn}/shared/SKIPPED OR EXISTS ${fn}/bundled)
  message(FATAL_ERROR "artifacts of a skipped or unlisted profile exist")
endif()
# The skip target re-creates SKIPPED at build time (a stale bootstrap must not survive).
file(WRITE ${fn}/static/bootstrap "stale")
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/skip/build --target fn_probe_static
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR EXISTS ${fn}/static/bootstrap OR NOT EXISTS ${fn}/static/SKIPPED)
  message(FATAL_ERROR "building the skip target did not reset the artifact:\n${out}${err}")
endif()

# 2. Mistakes fail the configure, naming the mistake.
foreach(case
    "odd|probe SOURCES main.cpp SKIP static|SKIP takes pairs"
    "unknown_profile|probe SOURCES main.cpp PROFILES shared turbo|unknown profile 'turbo'"
    "unknown_skip|probe SOURCES main.cpp SKIP turbo \"why\"|SKIP of unknown profile 'turbo'"
    "no_sources|probe LIBRARIES m|SOURCES is required")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 name)
  list(GET parts 1 call)
  list(GET parts 2 expected)
  configure_probe(${name} "${call}" rc out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "${name}: configure succeeded, expected '${expected}'")
  endif()
  string(FIND "${out}" "${expected}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "${name}: expected '${expected}' in:\n${out}")
  endif()
endforeach()
message(STATUS "lambench_add_function checks passed")
