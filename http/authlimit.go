package http

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"anxin"
)

// failureLimiter counts failed authentications (a presented API key that is
// not live, a console sign-in with a bad key) per client IP. Each address
// may fail perMinute times in a burst, refilled at perMinute a minute; past
// that it is refused with 429 and a Retry-After until the bucket refills,
// whatever key it presents. Threat: guessing keys, or sweeping a leaked
// key list, from one address. Addresses idle for ten minutes are dropped so
// the map cannot grow without bound.
type failureLimiter struct {
	perMinute float64
	mu        sync.Mutex
	b         map[string]*bucket
	sweep     time.Time
}

func newFailureLimiter(perMinute float64) *failureLimiter {
	if perMinute <= 0 {
		perMinute = 20
	}
	return &failureLimiter{perMinute: perMinute, b: map[string]*bucket{}}
}

// refill brings ip's bucket up to now and returns it; l.mu is held.
func (l *failureLimiter) refill(ip string, now time.Time) *bucket {
	if now.Sub(l.sweep) > 10*time.Minute {
		for k, b := range l.b {
			if now.Sub(b.last) > 10*time.Minute {
				delete(l.b, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.b[ip]
	if !ok {
		b = &bucket{tokens: l.perMinute, last: now}
		l.b[ip] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.last).Minutes()*l.perMinute)
	b.last = now
	return b
}

// blocked returns how long ip must wait before it may try again, or 0.
func (l *failureLimiter) blocked(ip string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(ip, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
}

// fail records one failed authentication from ip.
func (l *failureLimiter) fail(ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(ip, now)
	b.tokens = max(b.tokens-1, -l.perMinute) // a long attack does not dig an endless hole
}

// clientIP is the address of the peer, without its port. Forwarded headers
// are not trusted: any client can set them, so keying a limiter by them
// would let it pick a fresh identity per request.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// tooManyFailures writes 429 with Retry-After (whole seconds, at least 1)
// when r's address is blocked, and reports whether it did.
func (s *Server) tooManyFailures(w http.ResponseWriter, r *http.Request) bool {
	wait := s.badKeys.blocked(clientIP(r), s.now())
	if wait <= 0 {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	s.Error(w, r, anxin.Errorf(anxin.RateLimited, "Too many failed sign-ins from this address; try again later."))
	return true
}
