// JSON Schema -> Grammar (the subset structured-output APIs take, checked by an independent validator in the
// tests). Supported keywords:
//   type (a name or a list), enum, const, anyOf, oneOf (both as alternatives: oneOf's "exactly one" is not enforced,
//   so overlapping oneOf branches can yield a value that matches two), allOf with one schema, $ref to any "#/..."
//   pointer into the root (#/$defs/X, #/definitions/X, "#"; recursion allowed when it consumes text), $defs and
//   definitions;
//   objects: properties (generated in schema order: pass an ordered_json to keep it), required,
//     additionalProperties (false, true or a schema; absent means true, as the standard says; other keys come
//     after the declared ones and never repeat a declared name);
//   arrays: items (a schema, or false), prefixItems, the draft-07 forms items: [...] and additionalItems,
//     minItems, maxItems;
//   strings: minLength, maxLength (code points), pattern (regex.h), format: date, time, date-time, uuid, ipv4,
//     email, hostname (each a regular subset of what ajv-formats accepts; e.g. no leap days, at most three
//     hostname labels); pattern/format together with minLength/maxLength is an Error;
//   numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers; a bounded number has no exponent and at
//     most 15 fraction digits, and lies within the bounds exactly as a decimal).
// A schema without `type` gets the types its keywords imply (properties -> object, ...; none -> any value).
// Ignored annotations: title, description, $schema, $id, $comment, default, examples, deprecated, readOnly,
// writeOnly. Any other keyword (multipleOf, not, if, patternProperties, uniqueItems: true, other formats, ...) is
// an Error naming it and where it is.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>

#include "infer/grammar/grammar.h"

namespace seek::grammar {

// Adds the schema's nodes to `g` and returns the node of a value valid against it.
uint32_t compile_schema(Grammar& g, const nlohmann::ordered_json& schema);

// The regular expression used for a string format, or "" when the format is not supported.
std::string format_regex(const std::string& format);

}  // namespace seek::grammar
