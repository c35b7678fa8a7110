package serve

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/tickerlake/tickerlake/market"
)

// sqlToken is one lexical token of a statement.
type sqlToken struct {
	kind byte // 'w' word, 'q' quoted identifier, 's' string literal, 'p' punctuation
	text string
}

// lexSQL splits a statement into words, quoted identifiers, string
// literals and punctuation, dropping comments, whitespace and numbers. It
// follows DuckDB's quoting: ” inside strings, E” with backslash escapes,
// "" inside identifiers, $tag$...$tag$ strings.
func lexSQL(q string) ([]sqlToken, error) {
	var out []sqlToken
	rs := []rune(q)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '-' && i+1 < len(rs) && rs[i+1] == '-':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case r == '/' && i+1 < len(rs) && rs[i+1] == '*':
			end := strings.Index(string(rs[i+2:]), "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated /* comment")
			}
			i += 2 + len([]rune(string(rs[i+2:])[:end])) + 2
		case r == '\'' || ((r == 'E' || r == 'e') && i+1 < len(rs) && rs[i+1] == '\''):
			backslash := r != '\''
			if backslash {
				i++
			}
			var b strings.Builder
			j := i + 1
			for ; j < len(rs); j++ {
				if backslash && rs[j] == '\\' && j+1 < len(rs) {
					j++
					b.WriteRune(rs[j])
					continue
				}
				if rs[j] == '\'' {
					if j+1 < len(rs) && rs[j+1] == '\'' {
						b.WriteRune('\'')
						j++
						continue
					}
					break
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated string literal")
			}
			out = append(out, sqlToken{'s', b.String()})
			i = j + 1
		case r == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(rs); j++ {
				if rs[j] == '"' {
					if j+1 < len(rs) && rs[j+1] == '"' {
						b.WriteRune('"')
						j++
						continue
					}
					break
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated quoted identifier")
			}
			out = append(out, sqlToken{'q', b.String()})
			i = j + 1
		case r == '$':
			j := i + 1
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_') {
				j++
			}
			if j < len(rs) && rs[j] == '$' {
				tag := string(rs[i : j+1])
				rest := string(rs[j+1:])
				end := strings.Index(rest, tag)
				if end < 0 {
					return nil, fmt.Errorf("unterminated %s string", tag)
				}
				out = append(out, sqlToken{'s', rest[:end]})
				i = j + 1 + len([]rune(rest[:end])) + len([]rune(tag))
				continue
			}
			i = j // a positional parameter such as $1
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_') {
				j++
			}
			out = append(out, sqlToken{'w', strings.ToLower(string(rs[i:j]))})
			i = j
		case unicode.IsDigit(r):
			for i < len(rs) && (unicode.IsDigit(rs[i]) || rs[i] == '.' || rs[i] == 'e' || rs[i] == 'E') {
				i++
			}
		default:
			out = append(out, sqlToken{'p', string(r)})
			i++
		}
	}
	return out, nil
}

// readStatements are the statements that only read.
var readStatements = map[string]bool{"select": true, "with": true, "from": true, "values": true,
	"describe": true, "show": true, "summarize": true}

// writeWords never appear in a read-only query outside strings and quoted
// identifiers.
var writeWords = map[string]bool{"insert": true, "update": true, "delete": true, "merge": true, "upsert": true,
	"create": true, "drop": true, "alter": true, "truncate": true, "copy": true, "attach": true, "detach": true,
	"install": true, "load": true, "pragma": true, "set": true, "reset": true, "call": true, "export": true,
	"import": true, "checkpoint": true, "vacuum": true, "grant": true, "revoke": true, "use": true,
	"begin": true, "commit": true, "rollback": true, "transaction": true, "secret": true}

// fileFunctions read or list files, run SQL given as a string, or reveal
// the process's settings: the API answers from the views only.
var fileFunctions = map[string]bool{"read_csv": true, "read_csv_auto": true, "read_parquet": true, "parquet_scan": true,
	"parquet_metadata": true, "parquet_schema": true, "parquet_file_metadata": true, "parquet_kv_metadata": true,
	"parquet_bloom_probe": true, "read_json": true, "read_json_auto": true, "read_json_objects": true,
	"read_json_objects_auto": true, "read_ndjson": true, "read_ndjson_auto": true, "read_ndjson_objects": true,
	"read_text": true, "read_blob": true, "read_xlsx": true, "glob": true, "sniff_csv": true, "iceberg_scan": true,
	"delta_scan": true, "query": true, "query_table": true, "getenv": true, "duckdb_secrets": true,
	"duckdb_settings": true, "current_setting": true, "duckdb_extensions": true, "write_csv": true}

// fromEnds are the words that end a FROM clause.
var fromEnds = map[string]bool{"where": true, "group": true, "having": true, "qualify": true, "window": true,
	"order": true, "limit": true, "offset": true, "union": true, "except": true, "intersect": true, "select": true}

// CheckReadOnly is the first line of defence of POST /api/v1/sql: it
// accepts one statement that starts as a query and refuses anything that
// writes, changes settings, loads extensions, or reads files or strings of
// SQL. It reports why a statement is refused.
func CheckReadOnly(q string) error {
	toks, err := lexSQL(q)
	if err != nil {
		return err
	}
	for len(toks) > 0 && toks[len(toks)-1] == (sqlToken{'p', ";"}) {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return fmt.Errorf("the statement is empty")
	}
	if toks[0].kind != 'w' || !readStatements[toks[0].text] {
		return fmt.Errorf("only read-only queries (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE) are allowed, not %q", strings.ToUpper(toks[0].text))
	}
	// fromDepth is the parenthesis depth of the FROM clause being read, or
	// -1: a string where a table goes is a file scan in DuckDB.
	depth, fromDepth := 0, -1
	for i, t := range toks {
		switch t.kind {
		case 'p':
			switch t.text {
			case ";":
				return fmt.Errorf("only one statement is allowed")
			case "(":
				depth++
			case ")":
				depth--
				if depth < fromDepth {
					fromDepth = -1
				}
			}
		case 'w':
			if writeWords[t.text] {
				return fmt.Errorf("%s is not allowed in a read-only query", strings.ToUpper(t.text))
			}
			if fileFunctions[t.text] && i+1 < len(toks) && toks[i+1] == (sqlToken{'p', "("}) {
				return fmt.Errorf("%s() is not allowed: query the views %s", t.text, market.ViewList())
			}
			switch {
			case t.text == "from" || t.text == "join":
				fromDepth = depth
			case fromEnds[t.text] && depth == fromDepth:
				fromDepth = -1
			}
		case 's':
			prev := sqlToken{}
			if i > 0 {
				prev = toks[i-1]
			}
			tablePlace := prev == (sqlToken{'w', "from"}) || prev == (sqlToken{'w', "join"}) ||
				(prev == (sqlToken{'p', ","}) && depth == fromDepth)
			if tablePlace {
				return fmt.Errorf("string %q names a file; query the views %s", t.text, market.ViewList())
			}
		}
	}
	return nil
}
