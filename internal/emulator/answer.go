package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/google/uuid"
)

// Error codes the emulator answers with. They are the codes of the Tencent
// Cloud API 3.0 common error list and of the ExecuteFunction page, so callers
// classify them exactly as they would classify the real service's answers.
const (
	codeAuthInvalid        = "AuthFailure.InvalidAuthorization"
	codeSecretIDNotFound   = "AuthFailure.SecretIdNotFound"
	codeSignatureExpire    = "AuthFailure.SignatureExpire"
	codeSignatureFailure   = "AuthFailure.SignatureFailure"
	codeFailedOperation    = "FailedOperation"
	codeInvalidVodUser     = "FailedOperation.InvalidVodUser"
	codeInternalError      = "InternalError"
	codeInvalidAction      = "InvalidAction"
	codeInvalidParameter   = "InvalidParameter"
	codeInvalidArg         = "InvalidParameterValue.FunctionArg"
	codeInvalidName        = "InvalidParameterValue.FunctionName"
	codeContextTooLong     = "InvalidParameterValue.SessionContextTooLong"
	codeInvalidSessionID   = "InvalidParameterValue.SessionId"
	codeInvalidSubAppID    = "InvalidParameterValue.SubAppId"
	codeMissingParameter   = "MissingParameter"
	codeNoSuchVersion      = "NoSuchVersion"
	codeRequestLimit       = "RequestLimitExceeded"
	codeRequestSizeLimit   = "RequestSizeLimitExceeded"
	codeUnauthorized       = "UnauthorizedOperation"
	codeUnknownParameter   = "UnknownParameter"
	codeUnsupportedProto   = "UnsupportedProtocol"
	codeServiceUnavailable = "ServiceUnavailable"
)

// Keys of Stats.ByCode for outcomes that carry no API error code.
const (
	outcomeOK       = "OK"
	outcomeClose    = "close"
	outcomeHTTP502  = "http502"
	outcomeCanceled = "canceled"
)

// apiError is an answer in the API's error envelope. It travels through the
// request pipeline as a plain value so every step can stop the pipeline with
// the code and message the client will see.
type apiError struct {
	Code    string
	Message string
}

// Error returns the code and message, for logs and test failures.
func (e *apiError) Error() string {
	return e.Code + ": " + e.Message
}

// newError builds an apiError with a formatted message.
func newError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// cannedMessages gives the emulated failures of fail:, flaky: and random: a
// message close in spirit to the real service's, so logs and stored results
// read naturally in a demo. Codes not listed get a generic message.
var cannedMessages = map[string]string{
	codeFailedOperation:        "The operation failed.",
	codeInvalidVodUser:         "The VOD service is not activated for this account.",
	codeInternalError:          "An internal error occurred; try again later.",
	codeInvalidArg:             "Invalid parameter value: FunctionArg.",
	codeInvalidName:            "Invalid parameter value: FunctionName.",
	codeContextTooLong:         "SessionContext is too long.",
	codeUnauthorized:           "The caller is not authorized for this operation.",
	codeServiceUnavailable:     "The service is temporarily unavailable; try again later.",
	"ResourceUnavailable":      "The resource is temporarily unavailable.",
	"ResourceInUse":            "The resource is in use.",
	"LimitExceeded":            "A limit of the account was exceeded.",
	"AuthFailure.TokenFailure": "The security token is invalid or has expired.",
	codeSignatureExpire:        "The signature has expired; check the client's clock.",
	codeSignatureFailure:       "The signature does not match the request.",
}

// emulatedError builds the answer of a behaviour that fails on purpose. The
// message says it was emulated, so nobody mistakes a demo failure for a
// real one when reading logs.
func emulatedError(code, functionName string, quota int) *apiError {
	msg, ok := cannedMessages[code]
	switch {
	case code == codeRequestLimit:
		msg = throttleMessage(quota)
	case !ok:
		msg = "The request failed with " + code + "."
	}
	return newError(code, "%s (emulated by FunctionName %q)", msg, functionName)
}

// throttleMessage words a quota refusal the way the service does: the limit
// and a hint to slow down.
func throttleMessage(quota int) string {
	return fmt.Sprintf("Request rate limit exceeded: ExecuteFunction allows %d "+
		"requests per second; slow down and try again later.", quota)
}

// newRequestID returns a random UUID. uuid.New draws from crypto/rand, so
// IDs neither repeat across emulator restarts nor reveal request order.
func newRequestID() string {
	return uuid.New().String()
}

// successBody and errorBody are the two shapes of an API 3.0 answer. The
// field order matches the service's; clients must not depend on it, but
// it keeps captured answers easy to compare by eye.
type successBody struct {
	Response struct {
		Result    string
		RequestId string
	}
}

type errorBody struct {
	Response struct {
		Error struct {
			Code    string
			Message string
		}
		RequestId string
	}
}

// writeResult answers a successful call.
func writeResult(w http.ResponseWriter, requestID, result string) {
	var b successBody
	b.Response.Result = result
	b.Response.RequestId = requestID
	writeJSON(w, http.StatusOK, &b)
}

// writeError answers a refused or failed call. API 3.0 answers errors with
// HTTP 200 and the code in the body; the SDK relies on that.
func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	var b errorBody
	b.Response.Error.Code = e.Code
	b.Response.Error.Message = e.Message
	b.Response.RequestId = requestID
	writeJSON(w, http.StatusOK, &b)
}

// writeJSON encodes v without HTML escaping, as the service does, so a
// Result holding markup comes back byte for byte.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	// The client may have gone; nothing useful can be done with the error.
	_ = enc.Encode(v)
}

// badGatewayPage is what a load balancer in front of the API answers when
// its upstream fails: HTML, not JSON.
const badGatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>vodq emulator</center>
</body>
</html>
`

// writeBadGateway answers as a failing gateway would.
func writeBadGateway(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write([]byte(badGatewayPage))
}
