package emulator

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParameterRules(t *testing.T) {
	t.Parallel()
	f := setup(t, Config{Quota: -1})
	c := f.client(t)

	// with returns the parameters of a valid call changed by kv pairs; a
	// nil value removes the key.
	with := func(kv ...any) map[string]any {
		p := echo("arg")
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(p, kv[i].(string))
				continue
			}
			p[kv[i].(string)] = kv[i+1]
		}
		return p
	}

	for _, tc := range []struct {
		name     string
		params   map[string]any
		wantCode string // "" for success
		wantText string // in the message
	}{
		{"FunctionName is required", with("FunctionName", nil),
			codeMissingParameter, "FunctionName"},
		{"FunctionName must not be empty", with("FunctionName", ""),
			codeInvalidName, "FunctionName"},
		{"FunctionName must be a string", with("FunctionName", 7),
			codeInvalidParameter, "FunctionName"},
		{"FunctionArg is required", with("FunctionArg", nil),
			codeMissingParameter, "FunctionArg"},
		{"FunctionArg must not be empty", with("FunctionArg", ""),
			codeInvalidArg, "FunctionArg"},
		{"FunctionArg must be a string", with("FunctionArg", map[string]any{"a": 1}),
			codeInvalidParameter, "FunctionArg"},
		{"SubAppId may be a positive integer", with("SubAppId", 1500000001), "", ""},
		{"SubAppId may be the largest uint64", with("SubAppId",
			json.RawMessage("18446744073709551615")), "", ""},
		{"SubAppId must not be zero", with("SubAppId", 0),
			codeInvalidSubAppID, "SubAppId"},
		{"SubAppId must not be negative", with("SubAppId", -3),
			codeInvalidSubAppID, "SubAppId"},
		{"SubAppId must not be fractional", with("SubAppId", 1.5),
			codeInvalidSubAppID, "SubAppId"},
		{"SubAppId must fit uint64", with("SubAppId",
			json.RawMessage("18446744073709551616")), codeInvalidSubAppID, "SubAppId"},
		{"SubAppId must be a number", with("SubAppId", "1500000001"),
			codeInvalidParameter, "SubAppId"},
		{"SessionContext may hold 1000 characters", with("SessionContext",
			strings.Repeat("é", 1000)), "", ""},
		{"SessionContext must not exceed 1000 characters", with("SessionContext",
			strings.Repeat("é", 1001)), codeContextTooLong, "1000"},
		{"SessionId may hold 50 characters", with("SessionId", strings.Repeat("字", 50)),
			"", ""},
		{"SessionId must not exceed 50 characters", with("SessionId", strings.Repeat("s", 51)),
			codeInvalidSessionID, "50"},
		{"ExtInfo may be any string", with("ExtInfo", "anything"), "", ""},
		{"ExtInfo must be a string", with("ExtInfo", true),
			codeInvalidParameter, "ExtInfo"},
		{"null counts as absent", with("ExtInfo", json.RawMessage("null")), "", ""},
		{"unknown parameters are refused", with("Region", "ap-guangzhou"),
			codeUnknownParameter, "Region"},
		{"parameter names are case-sensitive", with("functionname", "x"),
			codeUnknownParameter, "functionname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := execute(t.Context(), c, tc.params)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("call failed: %v", err)
				}
				return
			}
			msg := wantCode(t, err, tc.wantCode)
			if !strings.Contains(msg, tc.wantText) {
				t.Errorf("message %q does not mention %q", msg, tc.wantText)
			}
		})
	}
}

func TestDecodeParams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"an empty body", ``, codeInvalidParameter},
		{"null", `null`, codeInvalidParameter},
		{"an array", `[{"FunctionName":"a","FunctionArg":"b"}]`, codeInvalidParameter},
		{"a string", `"FunctionName"`, codeInvalidParameter},
		{"broken JSON", `{"FunctionName":"a",`, codeInvalidParameter},
		{"trailing data", `{"FunctionName":"a","FunctionArg":"b"} {}`, codeInvalidParameter},
		{"an empty object", `{}`, codeMissingParameter},
		{"unknown keys before missing ones", `{"Zed":1}`, codeUnknownParameter},
		{"a number with an exponent", `{"FunctionName":"a","FunctionArg":"b","SubAppId":1e3}`,
			codeInvalidSubAppID},
		{"a valid body", ` {"FunctionName":"a","FunctionArg":"b","SubAppId":12} `, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, e := decodeParams([]byte(tc.body))
			var got string
			if e != nil {
				got = e.Code
			}
			if got != tc.want {
				t.Fatalf("decodeParams(%s) = %v, want code %q", tc.body, e, tc.want)
			}
		})
	}
}

// FuzzDecodeParams checks that the decoder never panics and that whatever
// it accepts obeys the API's rules.
func FuzzDecodeParams(f *testing.F) {
	for _, seed := range []string{
		`{"FunctionName":"echo","FunctionArg":"x"}`,
		`{"FunctionName":"a","FunctionArg":"b","SubAppId":1,"SessionContext":"c",` +
			`"SessionId":"d","ExtInfo":"e"}`,
		`{"FunctionName":null,"FunctionArg":"b"}`,
		`{"SubAppId":-0}`,
		`{"FunctionName":"\u00e9","FunctionArg":"\ud800"}`,
		`[]`, `null`, ``, `{`,
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		p, e := decodeParams(body)
		if e != nil {
			if e.Code == "" || e.Message == "" {
				t.Fatalf("decodeParams(%q) answered %+v without a code or message", body, e)
			}
			return
		}

		if !json.Valid(body) {
			t.Fatalf("decodeParams accepted invalid JSON %q", body)
		}
		switch {
		case p.FunctionName == "", p.FunctionArg == "":
			t.Fatalf("decodeParams(%q) accepted an empty required parameter: %+v", body, p)
		case utf8.RuneCountInString(p.SessionContext) > maxSessionContext,
			utf8.RuneCountInString(p.SessionID) > maxSessionID:
			t.Fatalf("decodeParams(%q) accepted an over-long parameter: %+v", body, p)
		}

		// What was accepted, encoded again, decodes to the same values.
		again, e := decodeParams(encodeParams(t, p))
		if e != nil || again != p {
			t.Fatalf("re-decoding %+v gave %+v, %v", p, again, e)
		}
	})
}

// encodeParams writes p as a request body, leaving out absent values.
func encodeParams(t *testing.T, p params) []byte {
	t.Helper()
	m := map[string]any{paramFunctionName: p.FunctionName, paramFunctionArg: p.FunctionArg}
	if p.SubAppID != 0 {
		m[paramSubAppID] = p.SubAppID
	}
	for k, v := range map[string]string{paramSessionContext: p.SessionContext,
		paramSessionID: p.SessionID, paramExtInfo: p.ExtInfo} {
		if v != "" {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
