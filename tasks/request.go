package tasks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// TypeExecuteFunction is the Asynq task type of a vodq job. Its payload is a
// [Request] encoded as JSON.
const TypeExecuteFunction = "vod:execute_function"

// Limits of the ExecuteFunction parameters, from the API page.
const (
	// MaxSessionContext is the longest SessionContext, in characters.
	MaxSessionContext = 1000
	// MaxSessionID is the longest SessionId, in characters.
	MaxSessionID = 50
)

// Request holds the parameters of one ExecuteFunction call. Field names and
// JSON keys are the API's own. The zero value is not valid: FunctionName and
// FunctionArg are required.
type Request struct {
	// FunctionName is the backend interface to invoke. Required.
	FunctionName string `json:"FunctionName"`
	// FunctionArg is the argument passed to the backend. Required.
	FunctionArg string `json:"FunctionArg"`
	// SubAppId is the VOD application ID; nil leaves it out. When given it
	// must be a positive integer.
	SubAppId *uint64 `json:"SubAppId,omitempty"`
	// SessionContext is passed through to task-flow callbacks; at most
	// MaxSessionContext characters.
	SessionContext string `json:"SessionContext,omitempty"`
	// SessionId deduplicates requests at Tencent Cloud for seven days; at
	// most MaxSessionID characters. Empty means no deduplication.
	SessionId string `json:"SessionId,omitempty"`
	// ExtInfo is a reserved field, passed through unchanged.
	ExtInfo string `json:"ExtInfo,omitempty"`
}

// Validate checks r against the API's limits. The error is a *FieldError
// naming the first field that breaks a rule.
func (r *Request) Validate() error {
	switch {
	case strings.TrimSpace(r.FunctionName) == "":
		return &FieldError{Field: "FunctionName", Reason: "is required and must not be empty or blank"}
	case r.FunctionArg == "":
		return &FieldError{Field: "FunctionArg", Reason: "is required and must not be empty"}
	case r.SubAppId != nil && *r.SubAppId == 0:
		return &FieldError{Field: "SubAppId", Reason: "must be a positive integer when given"}
	}
	if n := utf8.RuneCountInString(r.SessionContext); n > MaxSessionContext {
		return &FieldError{Field: "SessionContext",
			Reason: fmt.Sprintf("is %d characters; the limit is %d", n, MaxSessionContext)}
	}
	if n := utf8.RuneCountInString(r.SessionId); n > MaxSessionID {
		return &FieldError{Field: "SessionId",
			Reason: fmt.Sprintf("is %d characters; the limit is %d", n, MaxSessionID)}
	}
	return nil
}

// Params returns the request as the API's parameter map, leaving out the
// optional fields that are empty.
func (r *Request) Params() map[string]any {
	p := map[string]any{
		"FunctionName": r.FunctionName,
		"FunctionArg":  r.FunctionArg,
	}
	if r.SubAppId != nil {
		p["SubAppId"] = *r.SubAppId
	}
	if r.SessionContext != "" {
		p["SessionContext"] = r.SessionContext
	}
	if r.SessionId != "" {
		p["SessionId"] = r.SessionId
	}
	if r.ExtInfo != "" {
		p["ExtInfo"] = r.ExtInfo
	}
	return p
}

// DecodeRequest parses one JSON object into a Request and validates it.
// Unknown keys, wrong types and trailing data are errors; every error is a
// *FieldError naming the field at fault ("" when the document itself is not
// a JSON object).
func DecodeRequest(data []byte) (Request, error) {
	var r Request
	if err := decodeStrict(data, &r); err != nil {
		return Request{}, err
	}
	if err := r.Validate(); err != nil {
		return Request{}, err
	}
	return r, nil
}

// decodeStrict decodes one JSON object into v, rejecting unknown fields and
// trailing data, and turns the decoder's errors into *FieldError values.
func decodeStrict(data []byte, v any) error {
	// Decoding null into a struct is no error, but it is not an object.
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return &FieldError{Reason: "must be a JSON object, not null"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fe := jsonFieldError(err)
		if fe.Field == "" {
			fe.Field = probeField(data, v, err)
		}
		return fe
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Reason: "must hold exactly one JSON object (found data after it)"}
	}
	// encoding/json matches keys without regard to case, keeps the last of
	// repeated keys and replaces invalid UTF-8; the API does none of that,
	// and a gateway that checked the first of two keys would let another
	// value through.
	known := knownKeys(reflect.TypeOf(v).Elem())
	seen := map[string]bool{}
	for _, m := range members(data) {
		switch {
		case !known[m.key]:
			return &FieldError{Field: m.key, Reason: "is not a known field"}
		case seen[m.key]:
			return &FieldError{Field: m.key, Reason: "is given more than once"}
		case !utf8.Valid(m.raw):
			return &FieldError{Field: m.key, Reason: "is not valid UTF-8"}
		}
		seen[m.key] = true
	}
	return nil
}

// member is one key and its raw value in a JSON object.
type member struct {
	key string
	raw json.RawMessage
}

// members returns the members of the JSON object in data in document
// order, as far as it parses.
func members(data []byte) []member {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out
		}
		out = append(out, member{key, raw})
	}
	return out
}

// keySets caches knownKeys per type: decoding runs once per submitted job.
var keySets sync.Map // reflect.Type -> map[string]bool

// knownKeys returns the JSON names of typ's fields; read only.
func knownKeys(typ reflect.Type) map[string]bool {
	if m, ok := keySets.Load(typ); ok {
		return m.(map[string]bool)
	}
	m, _ := keySets.LoadOrStore(typ, jsonNames(typ, map[string]bool{}))
	return m.(map[string]bool)
}

// jsonNames adds the JSON names of typ's fields, those of embedded structs
// included, to names.
func jsonNames(typ reflect.Type, names map[string]bool) map[string]bool {
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			jsonNames(f.Type, names)
		case name != "":
			names[name] = true
		default:
			names[f.Name] = true
		}
	}
	return names
}

// probeField finds which key of a JSON object failed to decode into a value
// of v's type with err, for decoder errors that do not name it (those from
// a field's own UnmarshalJSON, such as a bad duration or time). Keys are
// tried in document order, and the one failing with err itself wins.
func probeField(data []byte, v any, err error) string {
	typ := reflect.TypeOf(v).Elem()
	first := ""
	for _, m := range members(data) {
		one, _ := json.Marshal(map[string]json.RawMessage{m.key: m.raw})
		e := json.Unmarshal(one, reflect.New(typ).Interface())
		if e == nil {
			continue
		}
		if e.Error() == err.Error() {
			return m.key
		}
		if first == "" {
			first = m.key
		}
	}
	return first
}

// jsonFieldError maps an encoding/json error to a *FieldError.
func jsonFieldError(err error) *FieldError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return &FieldError{Reason: "must be a JSON object, not " + typeErr.Value}
		}
		want := typeErr.Type.String()
		switch want {
		case "*uint64", "uint64":
			want = "a positive integer"
		default:
			want = "a JSON " + want
		}
		// Fields of the embedded Request show as "Request.Name".
		field := strings.TrimPrefix(typeErr.Field, "Request.")
		return &FieldError{Field: field,
			Reason: fmt.Sprintf("must be %s, not %s", want, typeErr.Value)}
	case errors.As(err, &syntaxErr):
		return &FieldError{Reason: fmt.Sprintf("is not valid JSON at byte %d: %v",
			syntaxErr.Offset, syntaxErr)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &FieldError{Reason: "is empty or cut short: want one JSON object"}
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return &FieldError{Reason: fmt.Sprintf(
			"must be an RFC 3339 time such as \"2026-12-04T15:00:00Z\", not %q", timeErr.Value)}
	}
	if strings.HasPrefix(err.Error(), "Time.UnmarshalJSON:") {
		return &FieldError{Reason: "must be an RFC 3339 time string such as \"2026-12-04T15:00:00Z\""}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &FieldError{Field: strings.Trim(name, `"`), Reason: "is not a known field"}
	}
	return &FieldError{Reason: err.Error()}
}
