# Checks that the layers cannot reach up (see "Layers" in the top-level CMakeLists.txt).
#
# Each probe is a one-line source compiled in a target that links one layer. The upward probes
# include a header of a layer above (or beside) it and must fail to compile with "No such file";
# the downward probe includes a header of a layer beneath and must compile, which shows that the
# failures come from the layer rule and not from a broken probe. The probes are built by ctest
# (`cmake --build --target ...`), never by the default build, one at a time (they share the build
# folder's ninja state).
set(EMOFUSE_PROBE_DIR ${CMAKE_BINARY_DIR}/layer_probes)

function(emofuse_layer_probe name layer header expect_failure)
  set(source ${EMOFUSE_PROBE_DIR}/${name}.cpp)
  file(WRITE ${source} "#include \"${header}\"\nint emofuse_layer_probe_${name}() { return 0; }\n")
  add_library(${name} OBJECT EXCLUDE_FROM_ALL ${source})
  target_link_libraries(${name} PRIVATE emofuse_${layer})
  target_precompile_headers(${name} REUSE_FROM emofuse_core)
  add_test(NAME layers.${name}
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${name})
  set_tests_properties(layers.${name} PROPERTIES RESOURCE_LOCK emofuse_build_folder)
  if(expect_failure)
    # Passes only when the compiler names the header as not found (any other outcome, including a
    # successful build, fails the test).
    set_tests_properties(layers.${name} PROPERTIES PASS_REGULAR_EXPRESSION "${header}: No such file")
  endif()
endfunction()

emofuse_layer_probe(models_cannot_include_train models "train/experiment.h" TRUE)
emofuse_layer_probe(data_cannot_include_models data "models/registry.h" TRUE)
emofuse_layer_probe(core_cannot_include_data core "data/dataset.h" TRUE)
emofuse_layer_probe(nn_cannot_include_ot nn "ot/sinkhorn.h" TRUE)
emofuse_layer_probe(train_cannot_include_report train "report/html_report.h" TRUE)
emofuse_layer_probe(dist_cannot_include_models dist "models/trainer.h" TRUE)
# The Python module sits on top (src/python/): no layer, the command-line tool included, sees it.
emofuse_layer_probe(cli_cannot_include_python cli "python/arrays.h" TRUE)
emofuse_layer_probe(train_includes_models train "models/registry.h" FALSE)
