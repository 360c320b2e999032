# lambench_add_function(): one source, three deployable artifacts (build profiles).
#
#   lambench_add_function(<name>
#       SOURCES <files...>
#       [INCLUDE_DIRS <dirs...>]
#       [LIBRARIES <libs...>]            # shared and bundled link these (targets or -l names)
#       [STATIC_LIBRARIES <libs...>]     # the static profile links these; default LIBRARIES
#       [PROFILES <shared|static|bundled...>]   # default: all three
#       [SKIP <profile> "<reason>" ...]) # a profile that cannot exist: SKIPPED holds the reason
#
# Works in the lambench tree and, after find_package(lambench), in a user's project.
# Each artifact is a directory ready to zip, ${CMAKE_BINARY_DIR}/functions/<name>/<profile>/,
# with `bootstrap` at its root; the target is fn_<name>_<profile>, built by default.
#   shared  -O2, dynamically linked like a distribution would build it.
#   static  -O3 -flto, function/data sections garbage-collected, stripped, -static; links the
#           runtime compiled with the same flags (lambench_runtime_lto) so LTO sees through it.
#   bundled aws-lambda-cpp's packaging: bin/<name>, lib/ with every ldd dependency and the
#           dynamic loader, and a shell `bootstrap` that execs the loader on them.
include_guard(GLOBAL)

set(LAMBENCH_FUNCTION_PROFILES shared static bundled)
set(_LAMBENCH_PACKAGE_BUNDLED "${CMAKE_CURRENT_LIST_DIR}/package-bundled.sh")

# Compile and link flags of a profile, for function executables and for the runtime variant
# linked into them (the two must agree for LTO).
function(lambench_profile_options target profile)
  get_target_property(type ${target} TYPE)
  if(profile STREQUAL "static")
    # Appended after CMAKE_CXX_FLAGS_<CONFIG>: the last -O wins.
    target_compile_options(${target} PRIVATE -O3 -flto=auto -ffunction-sections -fdata-sections)
    if(type STREQUAL "EXECUTABLE")
      target_link_options(${target} PRIVATE -O3 -flto=auto -Wl,--gc-sections -s -static)
    endif()
  elseif(profile STREQUAL "shared" OR profile STREQUAL "bundled")
    target_compile_options(${target} PRIVATE -O2)
  else()
    message(FATAL_ERROR "lambench: unknown build profile '${profile}'")
  endif()
endfunction()

# Links the project's warning set. A static profile takes the warnings without the sanitizers
# (LAMBENCH_SANITIZE): ASan/UBSan runtimes cannot be linked with -static.
function(lambench_profile_warnings target profile)
  if(NOT TARGET lambench_warnings)
    return()
  endif()
  if(profile STREQUAL "static" AND LAMBENCH_SANITIZE)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow
      $<$<BOOL:${LAMBENCH_WERROR}>:-Werror>)
  else()
    target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:lambench_warnings>)
  endif()
endfunction()

function(lambench_add_function name)
  cmake_parse_arguments(PARSE_ARGV 1 arg ""  ""
    "SOURCES;INCLUDE_DIRS;LIBRARIES;STATIC_LIBRARIES;PROFILES;SKIP")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "lambench_add_function(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "lambench_add_function(${name}): SOURCES is required")
  endif()
  if(NOT arg_PROFILES)
    set(arg_PROFILES ${LAMBENCH_FUNCTION_PROFILES})
  endif()
  if(NOT DEFINED arg_STATIC_LIBRARIES)
    set(arg_STATIC_LIBRARIES ${arg_LIBRARIES})
  endif()

  # SKIP comes in pairs: <profile> "<reason>".
  list(LENGTH arg_SKIP skip_len)
  math(EXPR odd "${skip_len} % 2")
  if(odd)
    message(FATAL_ERROR "lambench_add_function(${name}): SKIP takes pairs <profile> \"<reason>\"")
  endif()
  set(skipped "")
  set(i 0)
  while(i LESS skip_len)
    list(GET arg_SKIP ${i} p)
    math(EXPR j "${i} + 1")
    list(GET arg_SKIP ${j} reason)
    if(NOT p IN_LIST LAMBENCH_FUNCTION_PROFILES)
      message(FATAL_ERROR "lambench_add_function(${name}): SKIP of unknown profile '${p}'")
    endif()
    set(skip_reason_${p} "${reason}")
    list(APPEND skipped ${p})
    math(EXPR i "${i} + 2")
  endwhile()

  foreach(profile IN LISTS arg_PROFILES)
    if(NOT profile IN_LIST LAMBENCH_FUNCTION_PROFILES)
      message(FATAL_ERROR "lambench_add_function(${name}): unknown profile '${profile}'")
    endif()
    set(target fn_${name}_${profile})
    set(out ${CMAKE_BINARY_DIR}/functions/${name}/${profile})

    if(profile IN_LIST skipped)
      # The reason is written at configure time and refreshed at build time, so a later run of
      # the driver sees why this row is missing instead of a stale bootstrap.
      set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.SKIPPED)
      file(WRITE ${stamp} "${skip_reason_${profile}}\n")
      file(MAKE_DIRECTORY ${out})
      file(REMOVE ${out}/bootstrap)
      file(COPY_FILE ${stamp} ${out}/SKIPPED)
      add_custom_target(${target} ALL
        COMMAND ${CMAKE_COMMAND} -E rm -rf ${out}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
        COMMAND ${CMAKE_COMMAND} -E copy ${stamp} ${out}/SKIPPED
        COMMENT "lambench: ${name}/${profile} skipped: ${skip_reason_${profile}}"
        VERBATIM)
      continue()
    endif()
    file(REMOVE ${out}/SKIPPED)

    add_executable(${target} ${arg_SOURCES})
    target_include_directories(${target} PRIVATE ${arg_INCLUDE_DIRS})
    lambench_profile_options(${target} ${profile})
    lambench_profile_warnings(${target} ${profile})
    if(profile STREQUAL "static")
      target_link_libraries(${target} PRIVATE lambench::runtime_lto ${arg_STATIC_LIBRARIES})
    else()
      target_link_libraries(${target} PRIVATE lambench::runtime ${arg_LIBRARIES})
    endif()

    if(profile STREQUAL "bundled")
      set_target_properties(${target} PROPERTIES
        OUTPUT_NAME ${name} RUNTIME_OUTPUT_DIRECTORY ${out}/bin)
      add_custom_command(TARGET ${target} POST_BUILD
        COMMAND sh ${_LAMBENCH_PACKAGE_BUNDLED} $<TARGET_FILE:${target}> ${out}
        COMMENT "lambench: packaging ${name}/bundled (binary + ldd closure + loader)"
        VERBATIM)
    else()
      set_target_properties(${target} PROPERTIES
        OUTPUT_NAME bootstrap RUNTIME_OUTPUT_DIRECTORY ${out})
    endif()
  endforeach()
endfunction()
