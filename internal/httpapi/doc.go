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
package httpapi
