package serve

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/tickerlake/tickerlake/web"
)

// WebHandler serves the web app at "/": the copy embedded in the binary,
// else a build under ./web/dist/app (what `tickerlake up` builds on a fresh
// clone), else a page that says how to build it. Mount it last: every API
// route is more specific than "GET /" and wins.
func WebHandler() http.Handler {
	return newWebHandler(web.Embedded, func() fs.FS { return web.OnDisk("web") })
}

type webHandler struct {
	find  []func() fs.FS
	mu    sync.Mutex
	files fs.FS
	gz    sync.Map // hashed asset name -> gzipped bytes
}

func newWebHandler(find ...func() fs.FS) *webHandler {
	return &webHandler{find: find}
}

// app returns the first build found, looking again on each request until
// one appears (a build started by `up` lands while the server runs).
func (h *webHandler) app() fs.FS {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.files != nil {
		return h.files
	}
	for _, f := range h.find {
		if files := f(); files != nil {
			h.files = files
			return files
		}
	}
	return nil
}

// hashed matches Angular's content-hashed output names (main-3UQKZ4NB.js),
// which never change content and so may be cached for good.
var hashed = regexp.MustCompile(`-[A-Z0-9]{8}\.[a-z0-9]+$`)

func (h *webHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("/" + r.URL.Path)
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		// An unknown API path is an API error, not a page of the app.
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": "Not Found", "status": http.StatusNotFound,
			"detail": "no API route " + p + ": see /openapi.json"})
		return
	}
	files := h.app()
	if files == nil {
		notBuilt(w)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if name == "" {
		name = "index.html"
	}
	data, err := fs.ReadFile(files, name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || (err == nil && name != "index.html" && isDir(files, name)) {
		if path.Ext(name) != "" {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		// A route of the app (/HistoricalData, /OptionsData?symbol=...): the
		// app's router takes it from index.html.
		name = "index.html"
		data, err = fs.ReadFile(files, name)
	}
	if err != nil {
		http.Error(w, "read "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	hd.Set("Content-Type", ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	switch {
	case name == "index.html":
		hd.Set("Cache-Control", "no-cache")
	case hashed.MatchString(name):
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		hd.Set("Cache-Control", "public, max-age=3600")
	}
	if compressible(ctype) && len(data) > 1024 {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			data = h.gzipped(name, data)
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

func isDir(files fs.FS, name string) bool {
	st, err := fs.Stat(files, name)
	return err == nil && st.IsDir()
}

// gzipped compresses data, caching the result for hashed assets only: their
// names change whenever their content does.
func (h *webHandler) gzipped(name string, data []byte) []byte {
	cache := hashed.MatchString(name)
	if cache {
		if v, ok := h.gz.Load(name); ok {
			return v.([]byte)
		}
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	if cache {
		h.gz.Store(name, b.Bytes())
	}
	return b.Bytes()
}

func compressible(ctype string) bool {
	for _, t := range []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, t) {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>tickerlake</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}code{background:#eceef4;padding:0 .25rem}</style>
</head><body><h1>The tickerlake web app is not built yet</h1>
<p>The API is running: try <a href="/openapi.json">/openapi.json</a> or <a href="/api/search/micro%20soft">/api/search/micro soft</a>.</p>
<p><code>tickerlake up</code> builds the app on its first start when it runs from the repository with Node.js 20+ installed
(watch its log); this page reloads every 10 seconds and shows the app once the build lands.</p>
<p>To build it by hand: <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload. To embed it in the binary, build the app before <code>go build ./cmd/tickerlake</code>.</p>
</body></html>`

func notBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", "10")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(notBuiltPage))
}
