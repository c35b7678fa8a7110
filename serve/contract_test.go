package serve

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/tickerlake/tickerlake/ingest"
)

// TestOpenAPIContract checks the served document against the OpenAPI
// specification, checks every operation documents its success and error
// bodies, checks every route answered in TestRoutes is documented and every
// documented operation is exercised there, and validates each of those
// answers against the document.
func TestOpenAPIContract(t *testing.T) {
	s, api := newTestServer(t, Config{AdminKeys: Secrets{"test-admin-key"}})
	s.Collect = func(context.Context, ingest.Task) error { return nil }

	yaml := api.Get("/openapi.yaml")
	if yaml.Code != 200 || !strings.Contains(yaml.Body.String(), "openapi: 3.1") {
		t.Fatalf("/openapi.yaml: %d %.200s", yaml.Code, yaml.Body.String())
	}
	resp := api.Get("/openapi.json")
	if resp.Code != 200 {
		t.Fatalf("/openapi.json: %d", resp.Code)
	}
	spec := resp.Body.Bytes()
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("build validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("document: %s: %s", e.Message, e.Reason)
		}
		t.FailNow()
	}

	// The validator must catch a body that breaks the document, or the
	// checks below prove nothing.
	bad := httptest.NewRecorder()
	bad.Header().Set("Content-Type", "application/json")
	bad.WriteHeader(200)
	bad.WriteString(`{"count": "many", "companies": 3}`)
	if ok, _ := v.ValidateHttpResponse(httptest.NewRequest("GET", "/api/v1/universe", nil), recorded(bad)); ok {
		t.Fatal("the validator accepted a body that contradicts the document")
	}

	// Every operation has a documented success body and the problem body.
	type op struct{ method, path string }
	var ops []op
	exercised := map[op]bool{}
	model, berr := doc.BuildV3Model()
	if berr != nil {
		t.Fatal(berr)
	}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, o := range item.GetOperations().FromOldest() {
			k := op{strings.ToUpper(method), path}
			ops = append(ops, k)
			success := false
			for code, r := range o.Responses.Codes.FromOldest() {
				if strings.HasPrefix(code, "2") && r.Content != nil && r.Content.Len() > 0 {
					for _, mt := range r.Content.FromOldest() {
						success = success || mt.Schema != nil
					}
				}
			}
			if !success {
				t.Errorf("%s %s documents no 2xx body schema", k.method, k.path)
			}
			problems := 0
			if d := o.Responses.Default; d != nil && d.Content.GetOrZero("application/problem+json") != nil {
				problems++
			}
			for code, r := range o.Responses.Codes.FromOldest() {
				if code >= "400" {
					if r.Content.GetOrZero("application/problem+json") == nil {
						t.Errorf("%s %s: error %s is not a problem+json document", k.method, k.path, code)
					}
					problems++
				}
			}
			if problems == 0 {
				t.Errorf("%s %s documents no problem+json error", k.method, k.path)
			}
		}
	}
	if len(ops) < 20 {
		t.Fatalf("only %d operations documented", len(ops))
	}

	match := func(method, url string) (op, bool) {
		path, _, _ := strings.Cut(url, "?")
		for _, o := range ops {
			if o.method == method && regexp.MustCompile(unquoteBraces(o.path)).MatchString(path) {
				return o, true
			}
		}
		return op{}, false
	}

	f := lakeFixtures(t, s.Engine)
	validated := 0
	for _, c := range routeCases(t, f) {
		o, ok := match(c.method, c.path)
		if !ok {
			if c.status != http.StatusNotFound && c.status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s answered but is not in the document", c.method, c.path)
			}
			continue
		}
		exercised[o] = true
		w := api.Do(c.method, c.path, c.args()...)
		ct := w.Header().Get("Content-Type")
		if !strings.Contains(ct, "json") {
			continue // the CSV and Parquet downloads
		}
		validated++
		req := httptest.NewRequest(c.method, c.path, nil)
		if ok, verrs := v.ValidateHttpResponse(req, recorded(w)); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s -> %d: %s: %s", c.method, c.path, w.Code, e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Logf("  at %s: %s", se.FieldPath, se.Reason)
				}
			}
		}
	}
	if validated < 60 {
		t.Errorf("only %d answers validated against the document", validated)
	}
	var missed []string
	for _, o := range ops {
		if !exercised[o] && !strings.HasPrefix(o.path, "/openapi") && !strings.HasPrefix(o.path, "/docs") && !strings.HasPrefix(o.path, "/schemas") {
			missed = append(missed, o.method+" "+o.path)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("documented operations no test exercises: %v", missed)
	}
}

// unquoteBraces turns a path template into a regexp matching its URLs.
func unquoteBraces(template string) string {
	parts := strings.Split(template, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			parts[i] = "[^/]+"
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return "^" + strings.Join(parts, "/") + "$"
}

func recorded(w *httptest.ResponseRecorder) *http.Response {
	r := w.Result()
	r.Body = io.NopCloser(bytes.NewReader(w.Body.Bytes()))
	return r
}
