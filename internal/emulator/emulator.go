package emulator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
)

// The one API the emulator serves.
const (
	apiAction  = "ExecuteFunction"
	apiVersion = "2018-07-17"
)

// Log attribute keys.
const (
	keyRequestID    = "request_id"
	keyFunctionName = "function_name"
	keyOutcome      = "outcome"
	keyErrorMessage = "error_message"
	keyDuration     = "duration"
	keyRemoteAddr   = "remote_addr"
	keyError        = "error"
	keyAddr         = "addr"
)

// Emulator is a stand-in for the Tencent Cloud API 3.0 endpoint of VOD's
// ExecuteFunction. It is an http.Handler: mount it on any server, or use
// Listen or ListenAndServe. It is safe for concurrent use.
type Emulator struct {
	cfg      Config
	window   *window
	sessions *sessions
	flaky    *flakyCounts
	rng      *lockedRand
	counters *counters
	control  *http.ServeMux
}

// call is a request that passed validation: what it asked for and what it
// will do.
type call struct {
	params    params
	behaviour behaviour
}

// New returns an Emulator for cfg. It fails when cfg is invalid: no
// credentials, an empty SecretId or SecretKey, or a negative SessionTTL.
func New(cfg Config) (*Emulator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}

	e := &Emulator{
		cfg:      cfg,
		window:   newWindow(cfg.Quota),
		sessions: newSessions(cfg.SessionTTL),
		flaky:    newFlakyCounts(cfg.SessionTTL),
		rng:      newLockedRand(cfg.Seed),
		counters: newCounters(),
	}
	e.control = e.newControlMux()
	return e, nil
}

// Stats returns a snapshot of the counters; the caller owns its ByCode map.
func (e *Emulator) Stats() Stats {
	s := e.counters.snapshot()
	s.MaxWindow = int64(e.window.busiest())
	return s
}

// Reset zeroes the statistics. It keeps what governs answers, so a reset in
// the middle of a run changes no behaviour: the quota window, remembered
// SessionIds and flaky counts stay.
func (e *Emulator) Reset() {
	e.counters.reset()
	e.window.resetMax()
}

// ServeHTTP answers one request: the control routes under /_emulator/, and
// the API on every other path.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		e.control.ServeHTTP(w, r)
		return
	}

	e.counters.request()
	start := time.Now()
	requestID := newRequestID()

	c, ae := e.admit(r)
	if ae != nil {
		writeError(w, requestID, ae)
		e.record(r, start, requestID, c.params.FunctionName, ae.Code, ae)
		return
	}

	outcome, ae, abort := e.perform(w, r, requestID, c)
	e.record(r, start, requestID, c.params.FunctionName, outcome, ae)
	if abort {
		// net/http resets the connection or stream on this panic and
		// logs nothing.
		panic(http.ErrAbortHandler)
	}
}

// admit runs the checks in the order the package documentation lists:
// protocol, signature, action and version, quota, parameters, SessionId.
// The first failing check decides the answer. Only calls that are genuine
// and routed here reach the quota, so forged or misrouted requests cannot
// use up a client's allowance.
func (e *Emulator) admit(r *http.Request) (call, *apiError) {
	var c call
	if ae := checkProtocol(r); ae != nil {
		return c, ae
	}

	body, ae := e.authenticate(r)
	if ae != nil {
		return c, ae
	}
	if ae := checkAPI(r); ae != nil {
		return c, ae
	}

	// Read the clock again: reading a large body may have taken a while.
	now := e.cfg.Now()
	ok := e.window.arrive(now)
	e.counters.admitted(ok, now)
	if !ok {
		return c, newError(codeRequestLimit, "%s", throttleMessage(e.cfg.Quota))
	}

	if c.params, ae = decodeParams(body); ae != nil {
		return c, ae
	}
	if c.behaviour, ae = parseBehaviour(c.params.FunctionName); ae != nil {
		return c, ae
	}
	if ae := e.sessions.reserve(c.params.SessionID, now); ae != nil {
		return c, ae
	}
	return c, nil
}

// checkProtocol accepts what the SDK sends: a POST with a JSON body. The
// service also takes GET and form bodies; the emulator does not, and says
// so rather than misread them.
func checkProtocol(r *http.Request) *apiError {
	if r.Method != http.MethodPost {
		return newError(codeUnsupportedProto,
			"the emulator accepts POST requests only, got %s", r.Method)
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return newError(codeInvalidParameter,
			"Content-Type must be application/json, got %q", ct)
	}
	return nil
}

// authenticate checks the signature and returns the body it covers.
func (e *Emulator) authenticate(r *http.Request) ([]byte, *apiError) {
	a, ae := parseAuthorization(r.Header.Get(headerAuthorization))
	if ae != nil {
		return nil, ae
	}
	key, ok := e.cfg.Credentials[a.secretID]
	if !ok {
		return nil, newError(codeSecretIDNotFound, "SecretId %q was not found", a.secretID)
	}
	ts, ae := checkTimestamp(r, e.cfg.Now())
	if ae != nil {
		return nil, ae
	}

	body, ae := readBody(r)
	if ae != nil {
		return nil, ae
	}
	if ae := verifySignature(r, a, key, ts, body); ae != nil {
		return nil, ae
	}
	return body, nil
}

// readBody reads at most MaxBodyBytes. One byte more is read to tell a body
// of exactly the limit from a longer one.
func readBody(r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, newError(codeInvalidParameter, "could not read the request body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, newError(codeRequestSizeLimit,
			"the request body exceeds the limit of %d bytes (10 MiB)", MaxBodyBytes)
	}
	return body, nil
}

// checkAPI routes on the action and version headers, which the signature
// does not cover but the service checks after it.
func checkAPI(r *http.Request) *apiError {
	if action := r.Header.Get(headerAction); action != apiAction {
		return newError(codeInvalidAction,
			"the action %q is not served here; the emulator serves %s only", action, apiAction)
	}
	if version := r.Header.Get(headerVersion); version != apiVersion {
		return newError(codeNoSuchVersion,
			"the version %q does not exist for %s; use %s", version, apiAction, apiVersion)
	}
	return nil
}

// perform carries out an admitted call and answers it. It returns the
// outcome key for Stats.ByCode, the error answered if any, and whether the
// handler must abort because the connection could not be closed directly.
func (e *Emulator) perform(w http.ResponseWriter, r *http.Request, requestID string,
	c call) (outcome string, ae *apiError, abort bool) {
	p, b := c.params, c.behaviour

	// Only a success is remembered for SessionId deduplication.
	defer func() {
		e.sessions.finish(p.SessionID, outcome == outcomeOK, e.cfg.Now())
	}()

	ctx := r.Context()
	if !wait(ctx, e.cfg.Latency.sample(e.rng)) {
		return outcomeCanceled, nil, false
	}

	switch b.kind {
	case behaveSleep:
		if !wait(ctx, b.sleep) {
			return outcomeCanceled, nil, false
		}
	case behaveFail:
		ae = emulatedError(b.code, p.FunctionName, e.cfg.Quota)
	case behaveFlaky:
		if e.flaky.fail(p.FunctionName, p.FunctionArg, b.n, e.cfg.Now()) {
			ae = emulatedError(b.code, p.FunctionName, e.cfg.Quota)
		}
	case behaveRandom:
		if e.rng.float64() < b.p {
			ae = emulatedError(b.code, p.FunctionName, e.cfg.Quota)
		}
	case behaveClose:
		return outcomeClose, nil, !e.hangUp(w, requestID)
	case behaveHTTP502:
		writeBadGateway(w)
		return outcomeHTTP502, nil, false
	}

	if ae != nil {
		writeError(w, requestID, ae)
		return ae.Code, ae, false
	}
	writeResult(w, requestID, p.FunctionArg)
	return outcomeOK, nil, false
}

// hangUp closes the connection without answering, as a crashed upstream or
// a dropped connection would, and reports whether it could. Where the
// connection cannot be taken over (HTTP/2) the caller aborts the handler
// instead, which resets the stream: the client sees the same failure.
func (e *Emulator) hangUp(w http.ResponseWriter, requestID string) bool {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		e.cfg.Logger.Debug("hijack failed; aborting the handler instead",
			keyRequestID, requestID, keyError, err)
		return false
	}
	_ = conn.Close()
	return true
}

// wait sleeps for d unless ctx ends first, and reports whether it slept the
// whole time. A client that disconnects ends the request's context, so an
// abandoned call stops waiting at once.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// record counts an outcome and logs it at debug level. The record carries
// no secret, Authorization header or FunctionArg.
func (e *Emulator) record(r *http.Request, start time.Time, requestID, functionName,
	outcome string, ae *apiError) {
	e.counters.answered(outcome)

	log := e.cfg.Logger
	if !log.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String(keyRequestID, requestID),
		slog.String(keyOutcome, outcome),
		slog.Duration(keyDuration, time.Since(start)),
		slog.String(keyRemoteAddr, r.RemoteAddr),
	}
	if functionName != "" {
		attrs = append(attrs, slog.String(keyFunctionName, functionName))
	}
	if ae != nil {
		attrs = append(attrs, slog.String(keyErrorMessage, ae.Message))
	}
	log.LogAttrs(context.Background(), slog.LevelDebug, "call answered", attrs...)
}
