package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
)

// UICookie is the name of the cookie that lets a browser into /ui after it
// opened /ui/?token=TOKEN once.
const UICookie = "vodq_ui"

// uiCookieSalt separates the cookie's hash of a token from any other use of
// the token, so the cookie is worth nothing outside /ui.
const uiCookieSalt = "vodq ui cookie\x00"

// authenticator checks bearer tokens. It keeps only hashes of the tokens:
// comparing fixed-length hashes keeps the comparison's time independent of
// the length of either side.
type authenticator struct {
	tokens  [][sha256.Size]byte
	cookies [][sha256.Size]byte
	log     *slog.Logger
}

func newAuthenticator(tokens []string, log *slog.Logger) *authenticator {
	a := &authenticator{log: log}
	for _, t := range tokens {
		a.tokens = append(a.tokens, sha256.Sum256([]byte(t)))
		a.cookies = append(a.cookies, sha256.Sum256([]byte(uiCookieSalt+t)))
	}
	return a
}

// on reports whether any token is configured.
func (a *authenticator) on() bool { return len(a.tokens) > 0 }

// match reports whether h equals one of set. It compares against every
// entry, without stopping at a match, so the time taken does not tell
// which token (or how many) matched.
func match(set [][sha256.Size]byte, h [sha256.Size]byte) bool {
	found := 0
	for i := range set {
		found |= subtle.ConstantTimeCompare(set[i][:], h[:])
	}
	return found == 1
}

func (a *authenticator) validToken(tok string) bool {
	return match(a.tokens, sha256.Sum256([]byte(tok)))
}

func (a *authenticator) validCookie(v string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) != sha256.Size {
		return false
	}
	return match(a.cookies, [sha256.Size]byte(raw))
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header, and
// why there is none.
func bearer(r *http.Request) (tok, problem string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "missing token"
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", "malformed Authorization header"
	}
	return strings.TrimSpace(tok), ""
}

// guard lets a request through when it carries a valid bearer token, or
// when no token is configured.
func (a *authenticator) guard(next http.Handler) http.Handler {
	if !a.on() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, problem := bearer(r)
		if problem == "" && !a.validToken(tok) {
			problem = "wrong token"
		}
		if problem != "" {
			a.refuse(w, r, problem, "send the header Authorization: Bearer TOKEN")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// guardUI is guard for the web UI, which a browser opens: it also takes the
// UI cookie, and a token given once as ?token=, which it trades for the
// cookie.
func (a *authenticator) guardUI(next http.Handler) http.Handler {
	if !a.on() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Has("token") {
			a.signIn(w, r, q.Get("token"))
			return
		}
		if c, err := r.Cookie(UICookie); err == nil && a.validCookie(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		tok, problem := bearer(r)
		if problem == "" && !a.validToken(tok) {
			problem = "wrong token"
		}
		if problem != "" {
			a.refuse(w, r, problem, "open /ui/?token=TOKEN once in a browser, "+
				"or send the header Authorization: Bearer TOKEN")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// signIn checks a token given in the query. A valid one sets the UI cookie
// and redirects to the same page without the token, so that it does not
// stay in the address bar, the history or a Referer header.
func (a *authenticator) signIn(w http.ResponseWriter, r *http.Request, tok string) {
	if !a.validToken(tok) {
		a.refuse(w, r, "wrong token in query", "open /ui/?token=TOKEN with a valid token")
		return
	}
	h := sha256.Sum256([]byte(uiCookieSalt + tok))
	http.SetCookie(w, &http.Cookie{
		Name:     UICookie,
		Value:    base64.RawURLEncoding.EncodeToString(h[:]),
		Path:     "/ui",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	u := *r.URL
	q := u.Query()
	q.Del("token")
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// refuse answers 401 and logs the refusal. The log line names the request
// and the reason, never the token, and never the query, which may hold one.
func (a *authenticator) refuse(w http.ResponseWriter, r *http.Request, reason, hint string) {
	a.log.Warn("request refused", keyMethod, r.Method, keyPath, r.URL.Path,
		keyRemoteAddr, r.RemoteAddr, keyReason, reason)
	challenge := `Bearer realm="vodq"`
	if reason == "wrong token" || reason == "wrong token in query" {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, &apiError{Status: http.StatusUnauthorized, Code: CodeUnauthorized,
		Message: reason + ": " + hint}, nil)
}
