// Package emulator is a local stand-in for the Tencent Cloud API 3.0
// endpoint of VOD's ExecuteFunction (vod.tencentcloudapi.com, version
// 2018-07-17). It speaks real HTTP, checks real TC3-HMAC-SHA256 signatures,
// enforces the API's parameter rules and its quota of 100 calls per second,
// and answers in the API's JSON envelopes, so a client built on the Tencent
// Cloud SDK cannot tell it from the service. Teams use it to run the worker
// and their own pipelines offline, and to stage failures on demand.
//
// # Starting it
//
// In a test, bind a free loopback port and point the SDK at it:
//
//	srv, err := emulator.Listen("127.0.0.1:0", emulator.Config{
//		Credentials: map[string]string{"AKIDtest": "secret"},
//	})
//	if err != nil { ... }
//	defer srv.Close()
//
//	prof := profile.NewClientProfile()
//	prof.HttpProfile.Endpoint = srv.Addr
//	prof.HttpProfile.Scheme = "http"
//	prof.HttpProfile.ReqMethod = "POST"
//	client := common.NewCommonClient(
//		common.NewCredential("AKIDtest", "secret"), "ap-guangzhou", prof)
//
// From there calls go exactly as they would to Tencent Cloud. A long-running
// process uses ListenAndServe, which stops gracefully when its context ends;
// any other server can mount an *Emulator, which is an http.Handler.
//
// # What a call goes through
//
// Checks run in this order; the first that fails decides the answer.
//
//  1. Protocol: the method must be POST (else UnsupportedProtocol) and the
//     Content-Type application/json (else InvalidParameter). The service
//     also accepts GET and form bodies; the SDK sends neither by default.
//  2. Signature: the Authorization header must be a well-formed
//     TC3-HMAC-SHA256 header signing at least content-type and host (else
//     AuthFailure.InvalidAuthorization, missing header included); its
//     SecretId must be configured (else AuthFailure.SecretIdNotFound);
//     X-TC-Timestamp must be present (else MissingParameter), an integer
//     (else InvalidParameter) and within MaxClockSkew, five minutes, of the
//     emulator's clock (else AuthFailure.SignatureExpire); the body must fit
//     MaxBodyBytes, 10 MiB (else RequestSizeLimitExceeded); and the
//     signature recomputed over the method, the path "/", an empty query,
//     the signed headers and the SHA-256 of the body, with the scope
//     <date of X-TC-Timestamp>/vod/tc3_request, must match (else
//     AuthFailure.SignatureFailure). A body changed after signing is thus
//     refused, unless the client opted out of signing it with
//     X-TC-Content-SHA256: UNSIGNED-PAYLOAD, as the service allows.
//     X-TC-Token is not checked.
//  3. Routing: X-TC-Action must be ExecuteFunction (else InvalidAction) and
//     X-TC-Version 2018-07-17 (else NoSuchVersion).
//  4. Quota: at most Config.Quota calls in any sliding one-second window
//     (else RequestLimitExceeded). Only calls that passed steps 1 to 3 count.
//  5. Parameters: the body must be a JSON object (else InvalidParameter)
//     holding only the API's parameters (else UnknownParameter, keys
//     matched case-sensitively). A value of the wrong JSON type is
//     InvalidParameter; null counts as absent.
//     FunctionName is required (MissingParameter) and not empty
//     (InvalidParameterValue.FunctionName); so is FunctionArg
//     (MissingParameter, InvalidParameterValue.FunctionArg). SubAppId, when
//     given, is an integer from 1 to 2^64-1
//     (InvalidParameterValue.SubAppId). SessionContext holds at most 1000
//     characters (InvalidParameterValue.SessionContextTooLong) and SessionId
//     at most 50 (InvalidParameterValue.SessionId); characters are Unicode
//     code points. ExtInfo is any string. A malformed behaviour name (see
//     below) is InvalidParameterValue.FunctionName.
//  6. Deduplication: a non-empty SessionId that succeeded within
//     Config.SessionTTL, seven days by default, is refused with
//     InvalidParameterValue.SessionId. Only successes are remembered; while
//     a call holding a SessionId runs, a second call with that id is
//     refused too, and the id is free again if the first fails.
//  7. Behaviour: Config.Latency is waited out, then the call does what its
//     FunctionName asks (table below).
//
// Every answer is HTTP 200 with Content-Type application/json, in the API
// 3.0 envelope, except the close and http502 behaviours:
//
//	{"Response":{"Result":"...","RequestId":"<uuid>"}}
//	{"Response":{"Error":{"Code":"...","Message":"..."},"RequestId":"<uuid>"}}
//
// Messages are in English whatever X-TC-Language asks for.
//
// # Behaviours
//
// A FunctionName whose text before the first colon, or whole text, is one
// of the keywords below selects a behaviour and must follow its syntax
// exactly (keywords are lowercase). Any other name, such as ExampleFunc or
// echo, succeeds with Result equal to FunctionArg, so real function names
// work offline.
//
//	FunctionName           what the call does
//	---------------------  -----------------------------------------------
//	<any other name>       succeeds; Result is FunctionArg
//	sleep:<duration>       waits <duration> (Go syntax: 500ms, 2s), then
//	                       succeeds; ends early if the client goes away
//	fail:<Code>            fails with <Code>, e.g. fail:InternalError,
//	                       fail:FailedOperation.InvalidVodUser
//	flaky:<N>:<Code>       the first N calls with the same FunctionName and
//	                       FunctionArg fail with <Code>, later ones succeed;
//	                       flaky:1:RequestLimitExceeded stages one throttle
//	random:<p>:<Code>      fails with <Code> with probability p (0 to 1,
//	                       drawn from Config.Seed), otherwise succeeds
//	close                  closes the connection without answering; the
//	                       SDK reports ClientError.NetworkError
//	http502                answers HTTP 502 with an HTML page, as a
//	                       gateway would; SDK v1.3.214 reports
//	                       ClientError.ParseJsonError, as it parses the
//	                       body before it checks the status
//
// <Code> is an error code such as InternalError or
// FailedOperation.InvalidVodUser: dot-separated words, the first starting
// with a capital letter. Emulated failures carry a message suited to the
// code that says it was emulated. Flaky counts are kept for
// Config.SessionTTL.
//
// # Observing it
//
// Emulator.Stats reports the calls seen: all requests, the calls the quota
// accepted and throttled, the busiest one-second window (MaxWindow, the
// number to compare with the quota when testing a client fleet's limiter),
// answers by code, and the times of the first and last accepted call.
// Emulator.Reset zeroes them. Over HTTP the same is available as
//
//	GET  /_emulator/stats   Stats as JSON with snake_case keys
//	POST /_emulator/reset   zero the statistics
//
// Every other path is the API endpoint. With Config.Logger set, each call
// is logged at debug level with its request_id, function_name and outcome;
// secret keys, the Authorization header and FunctionArg are never logged.
package emulator
