// Package twelvedata collects daily, 15-minute and historical bars from
// Twelve Data's time_series endpoint, batching symbols over a pool of API
// keys within their per-minute and daily credit limits.
package twelvedata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is Twelve Data's REST API.
const DefaultBaseURL = "https://api.twelvedata.com"

// Client calls Twelve Data's time_series endpoint.
type Client struct {
	// BaseURL is the API root (default DefaultBaseURL); a test server can stand in.
	BaseURL string
	// HTTP is the client used (default one with a 30s timeout).
	HTTP *http.Client
}

// Request is one time_series call: one or more symbols (a batch costs one
// credit per symbol) over one window.
type Request struct {
	Symbols    []string
	Interval   string // "1day" or "15min"
	Start, End string // start_date and end_date, "2006-01-02" or "2006-01-02 15:04:05"
	OutputSize int    // at most 5000
}

// Response is one call's answer, split by symbol.
type Response struct {
	// Series holds each symbol's time_series object as sent.
	Series map[string]json.RawMessage
	// Errors holds each symbol the provider answered with an error.
	Errors map[string]*APIError
	// CreditsUsed and CreditsLeft come from the api-credits-used and
	// api-credits-left headers; -1 when absent.
	CreditsUsed, CreditsLeft int
}

// APIError is an error the provider reported, in the body ("status":
// "error", sometimes with HTTP 200) or by HTTP status alone.
type APIError struct {
	HTTPStatus int
	Code       int
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("twelvedata error %d (http %d): %s", e.Code, e.HTTPStatus, e.Message)
}

// code is the body's code, or the HTTP status when the body had none.
func (e *APIError) code() int {
	if e.Code != 0 {
		return e.Code
	}
	return e.HTTPStatus
}

// DayExhausted reports a 429 for the day's credits.
func (e *APIError) DayExhausted() bool {
	return e.code() == http.StatusTooManyRequests && strings.Contains(strings.ToLower(e.Message), "for the day")
}

// Throttled reports a 429 for the current minute (or any 429 not for the day).
func (e *APIError) Throttled() bool {
	return e.code() == http.StatusTooManyRequests && !e.DayExhausted()
}

// Unauthorized reports a rejected API key.
func (e *APIError) Unauthorized() bool { return e.code() == 401 || e.code() == 403 }

// NoData reports a window without bars, which is not a failure.
func (e *APIError) NoData() bool {
	return strings.Contains(strings.ToLower(e.Message), "no data is available")
}

// Temporary reports an error worth retrying: the provider's own trouble.
func (e *APIError) Temporary() bool { return e.code() >= 500 }

type status struct {
	Status  string `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// maxBody bounds a response: 120 symbols x 5000 bars fits well inside.
const maxBody = 256 << 20

// TimeSeries makes one call with key. A provider error for the whole call
// is an *APIError; errors for single symbols of a batch are in Errors.
func (c *Client) TimeSeries(ctx context.Context, key string, r Request) (*Response, error) {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	q := url.Values{}
	q.Set("symbol", strings.Join(r.Symbols, ","))
	q.Set("interval", r.Interval)
	if r.OutputSize > 0 {
		q.Set("outputsize", strconv.Itoa(r.OutputSize))
	}
	if r.Start != "" {
		q.Set("start_date", r.Start)
	}
	if r.End != "" {
		q.Set("end_date", r.End)
	}
	q.Set("timezone", "America/New_York")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/time_series?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("time_series request: %w", err)
	}
	// In a header rather than the query, so the key never shows in a logged URL.
	req.Header.Set("Authorization", "apikey "+key)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("time_series %s: %w", q.Get("symbol"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("time_series %s: read body: %w", q.Get("symbol"), err)
	}
	out, err := Decode(resp.StatusCode, body, r.Symbols)
	if err != nil {
		return nil, err
	}
	out.CreditsUsed = headerInt(resp.Header, "api-credits-used")
	out.CreditsLeft = headerInt(resp.Header, "api-credits-left")
	return out, nil
}

func headerInt(h http.Header, k string) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(k)))
	if err != nil {
		return -1
	}
	return n
}

// Decode splits a time_series response body for the requested symbols. A
// single-symbol answer is the series itself; a batch is an object keyed by
// symbol. An error for the whole call is an *APIError; a body that is not
// JSON is an error saying so.
func Decode(httpStatus int, body []byte, symbols []string) (*Response, error) {
	out := &Response{Series: map[string]json.RawMessage{}, Errors: map[string]*APIError{}, CreditsUsed: -1, CreditsLeft: -1}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		if httpStatus >= 300 {
			return nil, &APIError{HTTPStatus: httpStatus, Message: snippet(body)}
		}
		return nil, fmt.Errorf("time_series: malformed response (%s): %w", snippet(body), err)
	}
	if _, single := top["status"]; single || len(symbols) == 1 {
		var st status
		if err := json.Unmarshal(body, &st); err != nil {
			return nil, fmt.Errorf("time_series: malformed status: %w", err)
		}
		if st.Status == "error" || httpStatus >= 300 {
			return nil, &APIError{HTTPStatus: httpStatus, Code: st.Code, Message: st.Message}
		}
		if len(symbols) != 1 {
			return nil, fmt.Errorf("time_series: one series for a batch of %d symbols", len(symbols))
		}
		out.Series[symbols[0]] = json.RawMessage(body)
		return out, nil
	}
	if httpStatus >= 300 {
		return nil, &APIError{HTTPStatus: httpStatus, Message: snippet(body)}
	}
	for _, s := range symbols {
		raw, ok := top[s]
		if !ok {
			out.Errors[s] = &APIError{HTTPStatus: httpStatus, Message: "missing from the batch response"}
			continue
		}
		var st status
		if err := json.Unmarshal(raw, &st); err != nil {
			out.Errors[s] = &APIError{HTTPStatus: httpStatus, Message: "malformed entry: " + err.Error()}
			continue
		}
		if st.Status == "error" {
			out.Errors[s] = &APIError{HTTPStatus: httpStatus, Code: st.Code, Message: st.Message}
			continue
		}
		out.Series[s] = raw
	}
	return out, nil
}

func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 120 {
		b = append(b[:120:120], "..."...)
	}
	return strconv.Quote(string(b))
}
