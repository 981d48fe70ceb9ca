package emulator

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the ExecuteFunction parameters, in characters (Unicode code
// points), as the API page states them.
const (
	maxSessionContext = 1000
	maxSessionID      = 50
)

// Parameter names, spelled as in the API.
const (
	paramFunctionName   = "FunctionName"
	paramFunctionArg    = "FunctionArg"
	paramSubAppID       = "SubAppId"
	paramSessionContext = "SessionContext"
	paramSessionID      = "SessionId"
	paramExtInfo        = "ExtInfo"
)

// knownParams lists the parameters in the API page's order, which is also
// the order in which they are checked, so the first problem reported is
// predictable.
var knownParams = []string{
	paramFunctionName, paramFunctionArg, paramSubAppID,
	paramSessionContext, paramSessionID, paramExtInfo,
}

// params are the decoded ExecuteFunction parameters. Absent optional values
// are zero: SubAppId 0 is not a valid id, so zero cannot be confused with a
// value the caller sent.
type params struct {
	FunctionName   string
	FunctionArg    string
	SubAppID       uint64
	SessionContext string
	SessionID      string
	ExtInfo        string
}

// decodeParams reads and validates the JSON body of a call. The answer names
// the offending parameter and, for a length, the limit.
//
// A JSON null counts as an absent parameter: the SDKs never send null, and
// treating it as "not given" is the least surprising reading.
func decodeParams(body []byte) (params, *apiError) {
	var p params

	// Unmarshal into a map would accept the literal null as an empty
	// object, so insist on an object first.
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return p, newError(codeInvalidParameter, "the request body must be a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return p, newError(codeInvalidParameter, "the request body is not valid JSON: %v", err)
	}

	if e := checkUnknown(raw); e != nil {
		return p, e
	}

	var e *apiError
	if p.FunctionName, e = requiredString(raw, paramFunctionName, codeInvalidName); e != nil {
		return p, e
	}
	if p.FunctionArg, e = requiredString(raw, paramFunctionArg, codeInvalidArg); e != nil {
		return p, e
	}
	if p.SubAppID, e = subAppID(raw); e != nil {
		return p, e
	}
	p.SessionContext, e = limitedString(raw, paramSessionContext, maxSessionContext,
		codeContextTooLong)
	if e != nil {
		return p, e
	}
	p.SessionID, e = limitedString(raw, paramSessionID, maxSessionID, codeInvalidSessionID)
	if e != nil {
		return p, e
	}
	if p.ExtInfo, _, e = optionalString(raw, paramExtInfo); e != nil {
		return p, e
	}
	return p, nil
}

// checkUnknown refuses keys the API does not define. Keys are matched
// exactly, as the service does: "functionName" is unknown.
func checkUnknown(raw map[string]json.RawMessage) *apiError {
	var unknown []string
	for k := range raw {
		if !slices.Contains(knownParams, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}

	slices.Sort(unknown)
	quoted := make([]string, len(unknown))
	for i, k := range unknown {
		quoted[i] = strconv.Quote(k)
	}
	return newError(codeUnknownParameter,
		"unknown parameter %s; ExecuteFunction accepts %s",
		strings.Join(quoted, ", "), strings.Join(knownParams, ", "))
}

// optionalString returns the string under name and whether it was given.
func optionalString(raw map[string]json.RawMessage, name string) (string, bool, *apiError) {
	v, ok := raw[name]
	if !ok || isNull(v) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, newError(codeInvalidParameter,
			"parameter %s must be a string, got %s", name, jsonKind(v))
	}
	return s, true, nil
}

// requiredString returns a string that must be given and not be empty; an
// empty one is answered with emptyCode.
func requiredString(raw map[string]json.RawMessage, name, emptyCode string) (string, *apiError) {
	s, ok, e := optionalString(raw, name)
	switch {
	case e != nil:
		return "", e
	case !ok:
		return "", newError(codeMissingParameter, "missing required parameter %s", name)
	case s == "":
		return "", newError(emptyCode, "parameter %s must not be empty", name)
	}
	return s, nil
}

// limitedString returns an optional string of at most limit characters;
// a longer one is answered with longCode.
func limitedString(raw map[string]json.RawMessage, name string, limit int,
	longCode string) (string, *apiError) {
	s, _, e := optionalString(raw, name)
	if e != nil {
		return "", e
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return "", newError(longCode,
			"parameter %s is %d characters long; the limit is %d characters", name, n, limit)
	}
	return s, nil
}

// subAppID returns the optional SubAppId, a positive integer. The JSON
// literal is parsed as text so that 1.0, 1e3 or a value beyond uint64 is
// refused rather than rounded.
func subAppID(raw map[string]json.RawMessage) (uint64, *apiError) {
	v, ok := raw[paramSubAppID]
	if !ok || isNull(v) {
		return 0, nil
	}
	if jsonKind(v) != "a number" {
		return 0, newError(codeInvalidParameter,
			"parameter %s must be an integer, got %s", paramSubAppID, jsonKind(v))
	}

	text := string(bytes.TrimSpace(v))
	id, err := strconv.ParseUint(text, 10, 64)
	if err != nil || id == 0 {
		return 0, newError(codeInvalidSubAppID,
			"parameter %s must be a positive integer below 2^64, got %s", paramSubAppID, text)
	}
	return id, nil
}

// isNull reports whether a raw value is the JSON literal null.
func isNull(v json.RawMessage) bool {
	return string(bytes.TrimSpace(v)) == "null"
}

// jsonKind names the JSON type of a raw value for error messages.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch c := v[0]; {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return "a number"
	}
}
