// Package yahoo snapshots option chains from Yahoo Finance the way yfinance
// does: a session cookie, a crumb, then the v7 options endpoint once per
// expiration, politely paced and backing off when told to. Dividends and
// splits come from the v8 chart endpoint through the same session.
package yahoo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default endpoints.
const (
	DefaultBaseURL   = "https://query2.finance.yahoo.com"
	DefaultCookieURL = "https://fc.yahoo.com"
)

// userAgent is a browser's: Yahoo answers 429 to most library agents.
const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

// Client fetches option chains. It keeps one cookie and crumb and is safe
// for concurrent use.
type Client struct {
	// BaseURL serves /v1/test/getcrumb, /v7/finance/options and
	// /v8/finance/chart (default DefaultBaseURL).
	BaseURL string
	// CookieURL sets the session cookie (default DefaultCookieURL).
	CookieURL string
	// HTTP is the client used; its cookie jar is replaced by the Client's own
	// (default one with a 30s timeout).
	HTTP *http.Client

	once  sync.Once
	hc    *http.Client
	mu    sync.Mutex
	crumb string
}

// HTTPError is a non-200 answer.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("yahoo http %d: %s", e.Status, e.Body) }

// Temporary reports an answer worth retrying after a pause: 429 or a server error.
func (e *HTTPError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

func (c *Client) init() {
	c.once.Do(func() {
		hc := http.Client{Timeout: 30 * time.Second}
		if c.HTTP != nil {
			hc = *c.HTTP
		}
		jar, _ := cookiejar.New(nil) // cookiejar.New never fails without options
		hc.Jar = jar
		c.hc = &hc
		if c.BaseURL == "" {
			c.BaseURL = DefaultBaseURL
		}
		if c.CookieURL == "" {
			c.CookieURL = DefaultCookieURL
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	})
}

func (c *Client) get(ctx context.Context, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, body, err
}

// Refresh gets a new cookie and crumb.
func (c *Client) Refresh(ctx context.Context) error {
	c.init()
	// The cookie host answers 404 while setting the cookie; only the cookie matters.
	if _, _, err := c.get(ctx, c.CookieURL); err != nil {
		return fmt.Errorf("yahoo cookie: %w", err)
	}
	status, body, err := c.get(ctx, c.BaseURL+"/v1/test/getcrumb")
	if err != nil {
		return fmt.Errorf("yahoo crumb: %w", err)
	}
	crumb := string(bytes.TrimSpace(body))
	if status != http.StatusOK || crumb == "" || strings.ContainsAny(crumb, "<{ ") {
		return fmt.Errorf("yahoo crumb: %w", &HTTPError{Status: status, Body: snippet(body)})
	}
	c.mu.Lock()
	c.crumb = crumb
	c.mu.Unlock()
	return nil
}

// Options fetches one symbol's chain for the expiration at unix second date,
// or the nearest expiration when date is 0, as Yahoo sends it. A 401
// "Invalid Crumb" refreshes the crumb once and retries.
func (c *Client) Options(ctx context.Context, symbol string, date int64) ([]byte, error) {
	q := url.Values{}
	if date != 0 {
		q.Set("date", strconv.FormatInt(date, 10))
	}
	status, body, err := c.call(ctx, "/v7/finance/options/"+url.PathEscape(symbol), q)
	if err != nil {
		return nil, fmt.Errorf("yahoo options %s: %w", symbol, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("yahoo options %s: %w", symbol, &HTTPError{Status: status, Body: snippet(body)})
	}
	return body, nil
}

// Chart fetches one symbol's daily chart with its dividend and split events
// between unix seconds from and to (v8 chart, interval=1d&events=div,splits),
// as Yahoo sends it. Yahoo answers an unknown symbol with 404 and its error
// object; that answer is returned like a 200, for the processor to refuse.
func (c *Client) Chart(ctx context.Context, symbol string, from, to int64) ([]byte, error) {
	q := url.Values{}
	q.Set("interval", "1d")
	q.Set("events", "div,splits")
	q.Set("period1", strconv.FormatInt(from, 10))
	q.Set("period2", strconv.FormatInt(to, 10))
	status, body, err := c.call(ctx, "/v8/finance/chart/"+url.PathEscape(symbol), q)
	if err != nil {
		return nil, fmt.Errorf("yahoo chart %s: %w", symbol, err)
	}
	if status != http.StatusOK && status != http.StatusNotFound {
		return nil, fmt.Errorf("yahoo chart %s: %w", symbol, &HTTPError{Status: status, Body: snippet(body)})
	}
	return body, nil
}

// call makes one GET of path with the session's crumb added to q; a 401
// refreshes the crumb once and asks again.
func (c *Client) call(ctx context.Context, path string, q url.Values) (int, []byte, error) {
	c.init()
	retried := false
	for {
		c.mu.Lock()
		crumb := c.crumb
		c.mu.Unlock()
		if crumb == "" {
			if err := c.Refresh(ctx); err != nil {
				return 0, nil, err
			}
			continue
		}
		q.Set("crumb", crumb)
		status, body, err := c.get(ctx, c.BaseURL+path+"?"+q.Encode())
		if err != nil {
			return 0, nil, err
		}
		if status == http.StatusUnauthorized && !retried {
			retried = true
			c.mu.Lock()
			if c.crumb == crumb {
				c.crumb = ""
			}
			c.mu.Unlock()
			continue
		}
		return status, body, nil
	}
}

// IsTemporary reports whether err is worth retrying after a pause: a 429,
// a server error or a transport failure.
func IsTemporary(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 120 {
		b = append(b[:120:120], "..."...)
	}
	return strconv.Quote(string(b))
}
