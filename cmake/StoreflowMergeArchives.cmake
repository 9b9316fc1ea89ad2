# cmake -DAR=<ar> -DMRI=<script> -P StoreflowMergeArchives.cmake
# Runs an `ar -M` (MRI) script: merges static archives into one (the plugin test
# kit's installed archive, engine/src/testkit/CMakeLists.txt).
execute_process(COMMAND "${AR}" -M INPUT_FILE "${MRI}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${AR} -M ${MRI} failed (${rc}): ${err}")
endif()
