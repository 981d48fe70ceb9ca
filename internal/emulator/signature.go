package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TC3-HMAC-SHA256 vocabulary, as the API 3.0 signing documentation and the
// SDK spell it.
const (
	signAlgorithm   = "TC3-HMAC-SHA256"
	scopeTerminator = "tc3_request"
	signService     = "vod"
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// Request headers the emulator reads.
const (
	headerAuthorization = "Authorization"
	headerTimestamp     = "X-TC-Timestamp"
	headerContentSHA256 = "X-TC-Content-SHA256"
	headerAction        = "X-TC-Action"
	headerVersion       = "X-TC-Version"
)

// authorization is a parsed Authorization header:
//
//	TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request,
//	SignedHeaders=content-type;host, Signature=<hex>
type authorization struct {
	secretID      string
	date          string
	service       string
	signedHeaders []string
	signature     string
}

// parseAuthorization checks the form of an Authorization header. Anything
// malformed is AuthFailure.InvalidAuthorization, keeping
// AuthFailure.SignatureFailure for a well-formed signature that does not
// match, which is the case a client can fix by fixing its key.
func parseAuthorization(h string) (authorization, *apiError) {
	var a authorization
	if h == "" {
		return a, newError(codeAuthInvalid, "the Authorization header is missing")
	}
	alg, rest, _ := strings.Cut(h, " ")
	if alg != signAlgorithm {
		return a, newError(codeAuthInvalid,
			"the Authorization header must use %s, got %q", signAlgorithm, alg)
	}

	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if _, dup := fields[k]; !ok || dup {
			return a, newError(codeAuthInvalid,
				"the Authorization header must hold Credential, SignedHeaders and "+
					"Signature once each")
		}
		fields[k] = v
	}
	if len(fields) != 3 || fields["Credential"] == "" || fields["SignedHeaders"] == "" ||
		fields["Signature"] == "" {
		return a, newError(codeAuthInvalid,
			"the Authorization header must hold Credential, SignedHeaders and Signature")
	}

	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 4 || scope[0] == "" || scope[3] != scopeTerminator {
		return a, newError(codeAuthInvalid,
			"Credential must read <SecretId>/<date>/<service>/%s", scopeTerminator)
	}
	a.secretID, a.date, a.service = scope[0], scope[1], scope[2]

	a.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	if e := checkSignedHeaders(a.signedHeaders); e != nil {
		return a, e
	}

	a.signature = fields["Signature"]
	if len(a.signature) != sha256.Size*2 || strings.ToLower(a.signature) != a.signature {
		return a, newError(codeAuthInvalid, "Signature must be 64 lowercase hex digits")
	}
	if _, err := hex.DecodeString(a.signature); err != nil {
		return a, newError(codeAuthInvalid, "Signature must be 64 lowercase hex digits")
	}
	return a, nil
}

// checkSignedHeaders requires lowercase names in ascending order, without
// repeats, including content-type and host: the canonical request would
// otherwise be ambiguous, and the two required headers are what ties the
// signature to this endpoint and this body format.
func checkSignedHeaders(names []string) *apiError {
	for i, n := range names {
		if n == "" || strings.ToLower(n) != n || (i > 0 && names[i-1] >= n) {
			return newError(codeAuthInvalid,
				"SignedHeaders must list lowercase header names in ascending order, "+
					"separated by ';'")
		}
	}
	if !slices.Contains(names, "content-type") || !slices.Contains(names, "host") {
		return newError(codeAuthInvalid, "SignedHeaders must include content-type and host")
	}
	return nil
}

// checkTimestamp reads X-TC-Timestamp and refuses one further than
// MaxClockSkew from now. The window bounds how long a captured request can
// be replayed.
func checkTimestamp(r *http.Request, now time.Time) (int64, *apiError) {
	text := r.Header.Get(headerTimestamp)
	if text == "" {
		return 0, newError(codeMissingParameter, "missing required header %s", headerTimestamp)
	}
	ts, err := strconv.ParseInt(text, 10, 64)
	if err != nil || ts < 0 {
		return 0, newError(codeInvalidParameter,
			"header %s must be a Unix time in seconds, got %q", headerTimestamp, text)
	}

	skew := now.Sub(time.Unix(ts, 0))
	if skew > MaxClockSkew || skew < -MaxClockSkew {
		return 0, newError(codeSignatureExpire,
			"the signature has expired: %s %d is %s away from the server time %s; "+
				"the limit is %s", headerTimestamp, ts, skew.Abs().Round(time.Second),
			now.UTC().Format(time.RFC3339), MaxClockSkew)
	}
	return ts, nil
}

// verifySignature recomputes the signature the way the SDK computes it and
// compares in constant time, so the comparison leaks nothing about how much
// of a forged signature was right.
func verifySignature(r *http.Request, a authorization, secretKey string, ts int64,
	body []byte) *apiError {
	// The scope's date is the UTC date of the timestamp; a client that took
	// it from a different clock reading would sign with another key.
	date := time.Unix(ts, 0).UTC().Format(time.DateOnly)
	if a.date != date {
		return newError(codeSignatureFailure,
			"the credential scope date %q does not match the date of %s, %s",
			a.date, headerTimestamp, date)
	}
	if a.service != signService {
		return newError(codeSignatureFailure,
			"the credential scope names service %q; this endpoint is %q", a.service, signService)
	}

	want := signature(secretKey, date, stringToSign(r, a, ts, body))
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return newError(codeSignatureFailure,
			"the request signature does not match; check the SecretKey and that "+
				"the body was not changed after signing")
	}
	return nil
}

// stringToSign builds the canonical request and the string to sign.
func stringToSign(r *http.Request, a authorization, ts int64, body []byte) string {
	var headers strings.Builder
	for _, name := range a.signedHeaders {
		headers.WriteString(name)
		headers.WriteByte(':')
		headers.WriteString(canonicalHeaderValue(r, name))
		headers.WriteByte('\n')
	}

	// With UNSIGNED-PAYLOAD the client opts out of signing the body, as the
	// SDK's ClientProfile.UnsignedPayload does; the service allows it.
	payloadHash := sha256Hex(body)
	if r.Header.Get(headerContentSHA256) == unsignedPayload {
		payloadHash = sha256Hex([]byte(unsignedPayload))
	}

	// API 3.0 signs the URI as "/" whatever the path, and a POST's query as
	// empty: the parameters travel in the body, which the hash covers.
	canonical := strings.Join([]string{
		r.Method,
		"/",
		"",
		headers.String(),
		strings.Join(a.signedHeaders, ";"),
		payloadHash,
	}, "\n")

	scope := a.date + "/" + signService + "/" + scopeTerminator
	return strings.Join([]string{
		signAlgorithm,
		strconv.FormatInt(ts, 10),
		scope,
		sha256Hex([]byte(canonical)),
	}, "\n")
}

// canonicalHeaderValue returns a header's value trimmed and lowercased, as
// the signing rules ask. Go moves Host out of the header map, hence the
// special case.
func canonicalHeaderValue(r *http.Request, name string) string {
	v := r.Header.Get(name)
	if name == "host" {
		v = r.Host
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// signature derives the signing key from the secret key, the date and the
// service, then signs s with it, as TC3-HMAC-SHA256 defines.
func signature(secretKey, date, s string) string {
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, signService)
	k = hmacSHA256(k, scopeTerminator)
	return hex.EncodeToString(hmacSHA256(k, s))
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
