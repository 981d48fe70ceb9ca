// Package httpapi serves vodq over HTTP: a JSON API for jobs under /v1, the
// Asynq web UI under /ui, and the operator endpoints /healthz, /readyz and
// /metrics, all from one handler.
//
// # The API
//
//	POST   /v1/jobs            submit one job (a tasks.Spec object)
//	POST   /v1/jobs:batch      submit up to MaxBatch jobs: {"jobs":[…]}
//	GET    /v1/jobs/{id}       read a job's record; ?wait=30s long-polls
//	DELETE /v1/jobs/{id}       cancel a job that has not started
//	GET    /v1/openapi.json    the OpenAPI 3.0 description of all of the above
//
// Every answer is JSON. An error is {"error":{"code","message","field"}}
// with one of the Code* values; field names the request field at fault.
// The OpenAPI document, embedded from openapi.json, is the contract.
// A POST body must come with "Content-Type: application/json" (a charset
// parameter is fine); any other type, or none, is refused with 415.
//
// # Tokens
//
// When tokens are configured, /v1 and /ui need "Authorization: Bearer
// TOKEN". A browser cannot send that header, so /ui also accepts the token
// once as ?token=TOKEN: the answer sets an HttpOnly, SameSite=Strict cookie
// scoped to /ui and redirects to the same page without the token, so the
// token does not stay in the address bar or the history. The cookie holds
// a hash of the token, not the token, and stops working when the token is
// removed from the configuration. /healthz, /readyz and /metrics are open
// unless Config.OpenMetrics is false.
//
// Without any token the server must listen on a loopback address only;
// CheckAddr enforces that before the listener opens.
//
// # Browsers
//
// A web page in a browser can send requests to a server it cannot read.
// So, with or without tokens, a POST, PUT, PATCH or DELETE that a browser
// marks as coming from another origin (by Sec-Fetch-Site, or by an Origin
// other than the server's own scheme, host and port) is refused with 403.
// The web UI's own requests are same-origin and pass; so do clients that
// are not browsers, which send neither header. Without tokens, a request
// addressed to a Host other than localhost, 127.0.0.0/8 or [::1] is
// refused with 403 too, so that a page cannot reach the server through a
// name of its own that it has made resolve to 127.0.0.1 (DNS rebinding).
package httpapi
