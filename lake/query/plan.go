package query

import (
	"database/sql/driver"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// A query is planned before DuckDB sees it: DuckDB's own parser turns it
// into a syntax tree (json_serialize_sql), and every place it reads one of
// the lake's views yields what that read needs of the view's natural-key
// columns, from the comparisons with constants and parameters that its
// WHERE clause (and inner joins' ON) ANDs together. Only those comparisons
// are used, and only on key columns: a row whose key fails one is not
// needed, and neither is any other row with the same key, so leaving out
// the files that cannot hold such keys changes neither which rows match nor
// which replay of a key wins. A read the planner does not understand needs
// the whole view; so does a view the query names anywhere else (a string,
// DESCRIBE, a statement that is not a SELECT).

// bound is what a read needs of one key column: values within [lo, hi]
// (either end open when empty), or one of in when in is set. Values are
// text that sorts as the values do, as lake.KeyRanges writes them.
type bound struct {
	lo, hi string
	in     []string
}

// need is what one read of a view needs, by key column; an empty need
// reads every row.
type need map[string]bound

// needs lists, per dataset a query reads, what each of its reads needs.
type needs map[*market.Dataset][]need

// Layouts of key values in lake.KeyRanges: instants in UTC with
// microseconds, dates as YYYY-MM-DD.
const (
	instantLayout = "2006-01-02T15:04:05.000000Z"
	dateLayout    = "2006-01-02"
)

// plan works out what q reads of each view. tree is json_serialize_sql's
// answer for q ("" when there is none).
func plan(q, tree string, args []driver.NamedValue) needs {
	out := needs{}
	read := map[*market.Dataset]bool{}
	var parsed struct {
		Error      bool  `json:"error"`
		Statements []any `json:"statements"`
	}
	if tree != "" && json.Unmarshal([]byte(tree), &parsed) == nil && !parsed.Error {
		p := &planner{args: args, out: out, read: read}
		for _, st := range parsed.Statements {
			p.walk(st)
		}
		if p.everything {
			out = needs{}
			for _, ds := range market.Datasets() {
				out[ds] = []need{{}}
			}
			return out
		}
	}
	for _, ds := range mentioned(q) {
		if !read[ds] {
			out[ds] = append(out[ds], need{})
		}
	}
	return out
}

// mentioned lists the views whose names occur in q as a word outside
// string literals and comments, or as a whole string literal
// (query_table('daily_bars')).
func mentioned(q string) []*market.Dataset {
	words := map[string]bool{}
	word := func(w string) {
		if w != "" {
			words[strings.ToLower(w)] = true
		}
	}
	start := -1
	for i := 0; i < len(q); i++ {
		c := q[i]
		isWord := c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
		if isWord {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			word(q[start:i])
			start = -1
		}
		switch {
		case strings.HasPrefix(q[i:], "--"):
			if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(q)
			}
		case strings.HasPrefix(q[i:], "/*"):
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(q)
			}
		case c == '"' || c == '\'':
			j := closing(q, i, c)
			word(strings.ReplaceAll(strings.Trim(q[i:j], string(c)), string([]byte{c, c}), string(c)))
			i = j - 1
		}
	}
	if start >= 0 {
		word(q[start:])
	}
	var out []*market.Dataset
	for _, ds := range market.Datasets() {
		if words[ds.Name] {
			out = append(out, ds)
		}
	}
	return out
}

type planner struct {
	args       []driver.NamedValue
	out        needs
	read       map[*market.Dataset]bool
	everything bool // the query reads tables by a name computed at run time
}

// walk visits every node of the tree, planning each SELECT's FROM.
func (p *planner) walk(v any) {
	switch n := v.(type) {
	case map[string]any:
		switch n["type"] {
		case "SELECT_NODE":
			p.selectNode(n)
		case "BASE_TABLE":
			if _, done := n["_planned"]; !done {
				if ds := viewOf(n); ds != nil {
					p.add(ds, need{})
				}
			}
		case "TABLE_FUNCTION":
			if fn, ok := n["function"].(map[string]any); ok {
				switch strings.ToLower(str(fn["function_name"])) {
				case "query_table", "query":
					p.everything = true
				}
			}
		}
		for _, c := range n {
			p.walk(c)
		}
	case []any:
		for _, c := range n {
			p.walk(c)
		}
	}
}

func (p *planner) add(ds *market.Dataset, n need) {
	p.read[ds] = true
	p.out[ds] = append(p.out[ds], n)
}

// viewOf is the dataset a table reference names, or nil.
func viewOf(n map[string]any) *market.Dataset {
	ds, _ := market.DatasetByName(strings.ToLower(str(n["table_name"])))
	return ds
}

// ref is one read of a view in a FROM clause.
type ref struct {
	ds    *market.Dataset
	name  string // the alias, or the view's name
	alone bool   // the only table of its FROM: unqualified columns are its own
}

// selectNode plans the views read directly by one SELECT's FROM: a single
// view, or views joined by inner joins. Conditions come from WHERE and
// the inner joins' ON; anything else in the FROM is walked as usual.
func (p *planner) selectNode(n map[string]any) {
	from, _ := n["from_table"].(map[string]any)
	if from == nil {
		return
	}
	var refs []ref
	var conds []any
	var collect func(t map[string]any) bool
	collect = func(t map[string]any) bool {
		switch t["type"] {
		case "BASE_TABLE":
			if ds := viewOf(t); ds != nil {
				name := str(t["alias"])
				if name == "" {
					name = ds.Name
				}
				t["_planned"] = true
				refs = append(refs, ref{ds: ds, name: strings.ToLower(name)})
			}
			return true
		case "JOIN":
			if t["join_type"] != "INNER" || t["ref_type"] != "REGULAR" {
				return false
			}
			l, _ := t["left"].(map[string]any)
			r, _ := t["right"].(map[string]any)
			if l == nil || r == nil || !collect(l) || !collect(r) {
				return false
			}
			if using, _ := t["using_columns"].([]any); len(using) > 0 {
				return false // USING merges columns: which side a name means is unclear
			}
			conds = append(conds, t["condition"])
			return true
		}
		return true // a subquery or table function: walked on its own
	}
	if !collect(from) {
		// An outer, semi, anti, as-of or positional join keeps or drops
		// rows by what the other side holds: each view it reads needs all.
		for _, r := range refs {
			p.add(r.ds, need{})
		}
		return
	}
	if len(refs) == 1 && from["type"] == "BASE_TABLE" {
		refs[0].alone = true
	}
	conds = append(conds, n["where_clause"])
	var terms []map[string]any
	for _, c := range conds {
		terms = append(terms, conjuncts(c)...)
	}
	for _, r := range refs {
		nd := need{}
		for _, t := range terms {
			p.constrain(r, t, nd)
		}
		p.add(r.ds, nd)
	}
}

// conjuncts splits an expression into the terms it ANDs together.
func conjuncts(e any) []map[string]any {
	n, ok := e.(map[string]any)
	if !ok {
		return nil
	}
	if n["type"] == "CONJUNCTION_AND" {
		var out []map[string]any
		for _, c := range list(n["children"]) {
			out = append(out, conjuncts(c)...)
		}
		return out
	}
	return []map[string]any{n}
}

// constrain narrows nd by term when term compares a key column of r with
// values known before the query runs.
func (p *planner) constrain(r ref, term map[string]any, nd need) {
	typ := str(term["type"])
	switch typ {
	case "COMPARE_EQUAL", "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO", "COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO":
		left, right := term["left"], term["right"]
		col, ok := p.column(r, left)
		val := right
		if !ok {
			if col, ok = p.column(r, right); !ok {
				return
			}
			val = left
			typ = mirror[typ]
		}
		lo, hi, ok := p.value(col, val)
		if !ok {
			return
		}
		if !col.Key {
			if typ == "COMPARE_EQUAL" {
				p.derived(r, col, []string{lo}, nd)
			}
			return
		}
		switch typ {
		case "COMPARE_EQUAL":
			nd.narrow(col.Name, bound{lo: lo, hi: hi})
		case "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO":
			nd.narrow(col.Name, bound{lo: lo})
		default:
			nd.narrow(col.Name, bound{hi: hi})
		}
	case "COMPARE_BETWEEN":
		col, ok := p.column(r, term["input"])
		if !ok || !col.Key {
			return
		}
		lo, _, ok1 := p.value(col, term["lower"])
		_, hi, ok2 := p.value(col, term["upper"])
		if ok1 && ok2 {
			nd.narrow(col.Name, bound{lo: lo, hi: hi})
		}
	case "COMPARE_IN":
		kids := list(term["children"])
		if len(kids) < 2 {
			return
		}
		col, ok := p.column(r, kids[0])
		if !ok {
			return
		}
		var in []string
		for _, k := range kids[1:] {
			lo, hi, ok := p.value(col, k)
			if !ok {
				return
			}
			if lo != hi {
				// A widened value is a range, not a point: bound by
				// the list's extremes instead.
				in = nil
				b := bound{lo: lo, hi: hi}
				for _, k := range kids[1:] {
					l, h, _ := p.value(col, k)
					b.lo, b.hi = min(b.lo, l), max(b.hi, h)
				}
				nd.narrow(col.Name, b)
				return
			}
			in = append(in, lo)
		}
		slices.Sort(in)
		if !col.Key {
			p.derived(r, col, in, nd)
			return
		}
		nd.narrow(col.Name, bound{lo: in[0], hi: in[len(in)-1], in: in})
	}
}

// mirror is each comparison with its sides swapped.
var mirror = map[string]string{
	"COMPARE_EQUAL":                "COMPARE_EQUAL",
	"COMPARE_GREATERTHAN":          "COMPARE_LESSTHAN",
	"COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
	"COMPARE_LESSTHAN":             "COMPARE_GREATERTHAN",
	"COMPARE_LESSTHANOREQUALTO":    "COMPARE_GREATERTHANOREQUALTO",
}

// narrow ANDs b into what nd needs of col.
func (nd need) narrow(col string, b bound) {
	old, ok := nd[col]
	if !ok {
		nd[col] = b
		return
	}
	if b.lo == "" || old.lo != "" && old.lo > b.lo {
		b.lo = old.lo
	}
	if b.hi == "" || old.hi != "" && old.hi < b.hi {
		b.hi = old.hi
	}
	switch {
	case old.in != nil && b.in != nil:
		b.in = slices.DeleteFunc(slices.Clone(old.in), func(v string) bool { return !slices.Contains(b.in, v) })
	case old.in != nil:
		b.in = old.in
	}
	if b.in != nil {
		b.in = slices.DeleteFunc(slices.Clone(b.in), func(v string) bool { return b.lo != "" && v < b.lo || b.hi != "" && v > b.hi })
	}
	nd[col] = b
}

// column is the key column of r that e names, if it names one.
func (p *planner) column(r ref, e any) (market.Column, bool) {
	n, ok := e.(map[string]any)
	if !ok || n["class"] != "COLUMN_REF" {
		return market.Column{}, false
	}
	names := list(n["column_names"])
	var name string
	switch {
	case len(names) == 1 && r.alone:
		name = str(names[0])
	case len(names) == 2 && strings.EqualFold(str(names[0]), r.name):
		name = str(names[1])
	default:
		return market.Column{}, false
	}
	c, ok := r.ds.Column(strings.ToLower(name))
	if !ok || !c.Key && bounds[r.ds.Name][c.Name].key == "" {
		return market.Column{}, false
	}
	return c, true
}

// A column outside the key can bound a key column: the processor admits
// an option quote only when its contract's OCC root is the underlying's
// (market.OCCRoot), or that and one digit after an adjustment, so an
// underlying's contracts all begin with its root and a digit.
var bounds = map[string]map[string]struct {
	key string
	of  func(v string) bound
}{
	market.OptionQuotes.Name: {"symbol": {key: "contract_symbol", of: func(v string) bound {
		root := market.OCCRoot(v)
		return bound{lo: root + "0", hi: root + "9\xff"}
	}}},
}

// derived narrows nd by the key column that values of col bound.
func (p *planner) derived(r ref, col market.Column, values []string, nd need) {
	d := bounds[r.ds.Name][col.Name]
	if d.key == "" || len(values) == 0 {
		return
	}
	var env bound
	for i, v := range values {
		b := d.of(v)
		if i == 0 || b.lo < env.lo {
			env.lo = b.lo
		}
		if i == 0 || b.hi > env.hi {
			env.hi = b.hi
		}
	}
	nd.narrow(d.key, env)
}

// value is the text of a constant or parameter compared with col, as a
// range: a value whose time zone is not spelled out is widened by a day
// either way, since the session's zone decides it.
func (p *planner) value(col market.Column, e any) (lo, hi string, ok bool) {
	n, isMap := e.(map[string]any)
	if !isMap {
		return "", "", false
	}
	var v any
	switch n["class"] {
	case "CAST":
		cast, _ := n["cast_type"].(map[string]any)
		switch str(cast["id"]) {
		case "VARCHAR", "DATE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP":
		default:
			return "", "", false
		}
		return p.value(col, n["child"])
	case "CONSTANT":
		c, _ := n["value"].(map[string]any)
		if c == nil || c["is_null"] == true {
			return "", "", false
		}
		v = c["value"]
	case "PARAMETER":
		id := str(n["identifier"])
		for _, a := range p.args {
			if a.Name == "" && id == strconv.Itoa(a.Ordinal) || a.Name != "" && a.Name == id {
				v = a.Value
				break
			}
		}
		if v == nil {
			return "", "", false
		}
	default:
		return "", "", false
	}
	switch col.Type {
	case market.String:
		s, ok := v.(string)
		return s, s, ok
	case market.Timestamp:
		t, exact, ok := instant(v)
		if !ok {
			return "", "", false
		}
		if exact {
			return t.UTC().Format(instantLayout), t.UTC().Format(instantLayout), true
		}
		return t.AddDate(0, 0, -1).UTC().Format(instantLayout), t.AddDate(0, 0, 1).UTC().Format(instantLayout), true
	case market.Date:
		if s, ok := v.(string); ok {
			if d, err := time.Parse(dateLayout, s); err == nil {
				return d.Format(dateLayout), d.Format(dateLayout), true
			}
		}
		t, _, ok := instant(v)
		if !ok {
			return "", "", false
		}
		return t.AddDate(0, 0, -1).UTC().Format(dateLayout), t.AddDate(0, 0, 1).UTC().Format(dateLayout), true
	}
	return "", "", false
}

// instant reads a time value; exact says its zone was given.
func instant(v any) (t time.Time, exact, ok bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true, true
	case string:
		x = strings.TrimSpace(x)
		for _, l := range []string{"2006-01-02 15:04:05Z07", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05.999999Z07",
			"2006-01-02 15:04:05.999999Z07:00", time.RFC3339Nano} {
			if t, err := time.Parse(l, x); err == nil {
				return t, true, true
			}
		}
		for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04:05.999999", "2006-01-02T15:04:05", dateLayout} {
			if t, err := time.Parse(l, x); err == nil {
				return t, false, true
			}
		}
	}
	return time.Time{}, false, false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
