# Writes OUTPUT: a C++ file defining `const char NAME[]` with the bytes of INPUT (a raw string literal), so a page
# the server serves is part of the binary and needs no files at run time.
file(READ "${INPUT}" content)
string(FIND "${content}" ")seek_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )seek_embed\"")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/embed_text.cmake; do not edit.\n"
     "namespace seek::serve {\nextern const char ${NAME}[];\nconst char ${NAME}[] = R\"seek_embed(${content})seek_embed\";\n}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
