package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// A server without tokens trusts every request that reaches it, and
// listens on loopback so that only this machine's programs can send one.
// A web page open in a browser on this machine is one of those programs,
// though, and it can reach the server in two ways that checkBrowser
// refuses:
//
//   - Cross-site request forgery. A page of any origin can post a form, or
//     send a no-CORS fetch, to 127.0.0.1. The browser sends the request and
//     only hides the answer; submitting a job or pausing a queue needs no
//     answer. So state-changing requests that a browser marks as coming
//     from another origin are refused. This holds with tokens too: the UI
//     cookie is SameSite=Strict, but a page on another port of the same
//     host is the same site, and its requests carry the cookie.
//   - DNS rebinding. A page at http://evil.example:8080 has its name
//     resolve to 127.0.0.1 a moment after it loads. Its requests are then
//     same-origin to the browser, which lets it read the answers, but they
//     still say "Host: evil.example:8080". So without tokens only requests
//     addressed to a loopback name or address are answered. With tokens a
//     rebinding page has no token and no cookie (the cookie belongs to the
//     real host name), and the server may sit behind any name.

// checkBrowser returns the refusal of a request that a hostile web page may
// have sent, or nil when r may pass.
func (s *Server) checkBrowser(r *http.Request) *apiError {
	if !s.auth.on() && !loopbackHost(r.Host) {
		return forbidden(fmt.Sprintf("the request is addressed to Host %q; without an API "+
			"token the server answers only requests addressed to localhost, "+
			"127.0.0.1 or [::1]", r.Host))
	}
	if why := crossOrigin(r); why != "" {
		return forbidden(why + "; a request that changes anything must come from " +
			"the server's own pages or from outside a browser")
	}
	return nil
}

func forbidden(msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: CodeForbidden, Message: msg}
}

// loopbackHost reports whether a Host header names the loopback interface
// literally: localhost, or an address of 127.0.0.0/8 or ::1, with or
// without a port. A name that merely resolves to loopback does not count,
// since that is just what a rebinding attacker's name does. An empty Host
// passes: only HTTP/1.0 clients leave it out, and browsers are not among
// them.
func loopbackHost(host string) bool {
	if host == "" {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// crossOrigin returns why r is a state-changing request that a browser
// sent from another origin, or "" when it is not one.
func crossOrigin(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		// These change nothing, and as the server sends no CORS headers
		// the browser keeps their answers from other origins.
		return ""
	}

	// Browsers set Sec-Fetch-Site themselves; no page can forge it. It
	// comes first because it stays right behind a proxy that ends TLS or
	// rewrites Host, where comparing Origin with the request fails.
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin", "none":
		return ""
	case "":
	default:
		return fmt.Sprintf("the browser sent the request from another origin "+
			"(Sec-Fetch-Site: %s)", site)
	}

	// Browsers from before 2023 send only Origin. Neither header means a
	// client that is not a browser, such as curl, which no page controls.
	origin := r.Header.Get("Origin")
	if origin == "" || sameOrigin(origin, r) {
		return ""
	}
	return fmt.Sprintf("the request comes from the origin %q, not from %s",
		origin, ownOrigin(r))
}

// sameOrigin reports whether an Origin header names the scheme, host and
// port that r was sent to. "null", the origin of sandboxed frames and local
// files, names none.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := requestScheme(r)
	return strings.EqualFold(u.Scheme, scheme) &&
		strings.EqualFold(withoutDefaultPort(u.Host, scheme), withoutDefaultPort(r.Host, scheme))
}

// ownOrigin is the origin r was sent to, as the server sees it.
func ownOrigin(r *http.Request) string { return requestScheme(r) + "://" + r.Host }

func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// withoutDefaultPort drops the scheme's default port, which browsers leave
// out of Origin and Host but other clients may write.
func withoutDefaultPort(host, scheme string) string {
	switch scheme {
	case "http":
		return strings.TrimSuffix(host, ":80")
	case "https":
		return strings.TrimSuffix(host, ":443")
	}
	return host
}
