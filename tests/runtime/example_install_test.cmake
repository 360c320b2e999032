# Installs only the runtime's component into a fresh prefix, then configures and builds the
# standalone example against it, as a user would: find_package(lambench) + lambench::runtime.
foreach(var LAMBENCH_BUILD_DIR EXAMPLE_SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "example_install_test: ${var} is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()

run_step("install" ${CMAKE_COMMAND} --install ${LAMBENCH_BUILD_DIR} --prefix ${prefix}
  --component lambench_runtime)
foreach(f include/lambench/runtime.hpp)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "install did not produce ${prefix}/${f}")
  endif()
endforeach()
file(GLOB_RECURSE configs ${prefix}/*/lambenchConfig.cmake)
if(NOT configs)
  message(FATAL_ERROR "install did not produce lambenchConfig.cmake under ${prefix}")
endif()

run_step("configure example" ${CMAKE_COMMAND} -S ${EXAMPLE_SOURCE_DIR} -B ${WORK_DIR}/build
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
run_step("build example" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
if(NOT EXISTS ${WORK_DIR}/build/bootstrap)
  message(FATAL_ERROR "example build did not produce ${WORK_DIR}/build/bootstrap")
endif()
# The built function must be a working runtime: without AWS_LAMBDA_RUNTIME_API it exits 1
# with the runtime's own message.
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=AWS_LAMBDA_RUNTIME_API
  ${WORK_DIR}/build/bootstrap RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "AWS_LAMBDA_RUNTIME_API is not set")
  message(FATAL_ERROR "example bootstrap misbehaved: rc=${rc} stderr=${err}")
endif()
# The build profiles from the installed package: three zip-ready artifact directories.
run_step("configure example with all profiles" ${CMAKE_COMMAND} -S ${EXAMPLE_SOURCE_DIR}
  -B ${WORK_DIR}/build-profiles -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
  -DALL_PROFILES=ON)
run_step("build example profiles" ${CMAKE_COMMAND} --build ${WORK_DIR}/build-profiles)
foreach(f shared/bootstrap static/bootstrap bundled/bootstrap bundled/bin/greet
          bundled/lib/ld-linux-x86-64.so.2)
  if(NOT EXISTS ${WORK_DIR}/build-profiles/functions/greet/${f})
    message(FATAL_ERROR "profile build did not produce functions/greet/${f}")
  endif()
endforeach()
foreach(profile shared static bundled)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=AWS_LAMBDA_RUNTIME_API
    ${WORK_DIR}/build-profiles/functions/greet/${profile}/bootstrap
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 1 OR NOT err MATCHES "AWS_LAMBDA_RUNTIME_API is not set")
    message(FATAL_ERROR "greet/${profile} misbehaved: rc=${rc} stderr=${err}")
  endif()
endforeach()
message(STATUS "example built against ${prefix}")
