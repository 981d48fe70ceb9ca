package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// behaviourKind is what a call does once it passed validation.
type behaviourKind uint8

const (
	behaveEcho behaviourKind = iota
	behaveSleep
	behaveFail
	behaveFlaky
	behaveRandom
	behaveClose
	behaveHTTP502
)

// Behaviour keywords: a FunctionName whose text before the first ':' (or
// whole text) is one of these selects a behaviour and must follow its syntax.
const (
	keywordSleep   = "sleep"
	keywordFail    = "fail"
	keywordFlaky   = "flaky"
	keywordRandom  = "random"
	keywordClose   = "close"
	keywordHTTP502 = "http502"
)

// behaviourSyntax is quoted in every malformed-name answer, so a user who
// mistyped a behaviour learns the whole grammar from one error.
const behaviourSyntax = "behaviour names are sleep:<duration>, fail:<Code>, " +
	"flaky:<N>:<Code>, random:<p>:<Code>, close and http502; any other name echoes " +
	"FunctionArg"

// codePattern matches API error codes: dot-separated words starting with a
// capital, such as InternalError or FailedOperation.InvalidVodUser.
var codePattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*(\.[A-Za-z0-9][A-Za-z0-9_]*)*$`)

// behaviour is a parsed FunctionName.
type behaviour struct {
	kind  behaviourKind
	sleep time.Duration // behaveSleep
	code  string        // behaveFail, behaveFlaky, behaveRandom
	n     int64         // behaveFlaky: failures before success
	p     float64       // behaveRandom: failure probability
}

// parseBehaviour reads the behaviour a FunctionName selects. Names without
// a keyword echo, so real function names keep working offline.
func parseBehaviour(name string) (behaviour, *apiError) {
	keyword, args, hasArgs := strings.Cut(name, ":")
	switch keyword {
	case keywordClose, keywordHTTP502:
		if hasArgs {
			return behaviour{}, malformed(name, keyword+" takes no arguments")
		}
		if keyword == keywordClose {
			return behaviour{kind: behaveClose}, nil
		}
		return behaviour{kind: behaveHTTP502}, nil
	case keywordSleep:
		return parseSleep(name, args)
	case keywordFail:
		code, e := parseCode(name, args)
		return behaviour{kind: behaveFail, code: code}, e
	case keywordFlaky:
		return parseFlaky(name, args)
	case keywordRandom:
		return parseRandom(name, args)
	default:
		return behaviour{kind: behaveEcho}, nil
	}
}

// parseSleep reads sleep:<duration>.
func parseSleep(name, arg string) (behaviour, *apiError) {
	d, err := time.ParseDuration(arg)
	if err != nil || d < 0 {
		return behaviour{}, malformed(name,
			"sleep wants a non-negative Go duration such as sleep:2s")
	}
	return behaviour{kind: behaveSleep, sleep: d}, nil
}

// parseFlaky reads flaky:<N>:<Code>.
func parseFlaky(name, args string) (behaviour, *apiError) {
	nText, codeText, ok := strings.Cut(args, ":")
	n, err := strconv.ParseInt(nText, 10, 64)
	if !ok || err != nil || n < 0 || strings.HasPrefix(nText, "+") {
		return behaviour{}, malformed(name,
			"flaky wants a count of failures and a code such as flaky:2:InternalError")
	}
	code, e := parseCode(name, codeText)
	return behaviour{kind: behaveFlaky, n: n, code: code}, e
}

// parseRandom reads random:<p>:<Code>.
func parseRandom(name, args string) (behaviour, *apiError) {
	pText, codeText, ok := strings.Cut(args, ":")
	p, err := strconv.ParseFloat(pText, 64)
	if !ok || err != nil || math.IsNaN(p) || p < 0 || p > 1 {
		return behaviour{}, malformed(name,
			"random wants a probability between 0 and 1 and a code such as "+
				"random:0.3:InternalError")
	}
	code, e := parseCode(name, codeText)
	return behaviour{kind: behaveRandom, p: p, code: code}, e
}

// parseCode checks the error code a failing behaviour answers with.
func parseCode(name, code string) (string, *apiError) {
	if !codePattern.MatchString(code) {
		return "", malformed(name,
			"the error code must look like InternalError or FailedOperation.InvalidVodUser")
	}
	return code, nil
}

// malformed answers a FunctionName that starts with a keyword but does not
// follow its syntax.
func malformed(name, why string) *apiError {
	return newError(codeInvalidName, "malformed behaviour name %q: %s; %s",
		name, why, behaviourSyntax)
}

// flakyCounts remembers how often each (FunctionName, FunctionArg) pair of a
// flaky behaviour has failed. Keys are hashes because a FunctionArg may be
// megabytes long. Counts expire with the session ttl, so memory stays
// bounded in a long-running emulator. It is safe for concurrent use.
type flakyCounts struct {
	mu     sync.Mutex
	counts *expiring[[sha256.Size]byte, int64]
}

func newFlakyCounts(ttl time.Duration) *flakyCounts {
	return &flakyCounts{counts: newExpiring[[sha256.Size]byte, int64](ttl, maxRemembered)}
}

// fail reports whether this call of a flaky:n behaviour must fail, and
// counts it.
func (f *flakyCounts) fail(name, arg string, n int64, now time.Time) bool {
	// The length prefix keeps ("a", "bc") and ("ab", "c") apart.
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(name))))
	h.Write([]byte(name))
	h.Write([]byte(arg))
	var key [sha256.Size]byte
	h.Sum(key[:0])

	f.mu.Lock()
	defer f.mu.Unlock()
	done, _ := f.counts.get(key, now)
	if done >= n {
		return false
	}
	f.counts.put(key, done+1, now)
	return true
}
