package serve

import (
	"strings"
	"testing"
)

func TestCheckReadOnly(t *testing.T) {
	tests := []struct {
		sql     string
		refused string // "" means accepted; else a fragment of the reason
	}{
		{sql: "SELECT 1"},
		{sql: "select symbol, max(close) from daily_bars group by symbol;"},
		{sql: "WITH x AS (SELECT * FROM daily_bars) SELECT count(*) FROM x"},
		{sql: "FROM option_quotes LIMIT 3"},
		{sql: "SELECT 'DROP TABLE x; COPY' AS text"},
		{sql: `SELECT "delete" FROM (SELECT 1 AS "delete")`},
		{sql: "SELECT 1 -- DELETE FROM daily_bars\n"},
		{sql: "SELECT /* ATTACH */ 1"},
		{sql: "SELECT strftime(date, '%Y/%m/%d') FROM daily_bars"},
		{sql: "SELECT $$it's; fine$$"},
		{sql: "SELECT E'it\\'s'"},
		{sql: "", refused: "empty"},
		{sql: " ;; ", refused: "empty"},
		{sql: "DELETE FROM daily_bars", refused: "only read-only"},
		{sql: "INSERT INTO t VALUES (1)", refused: "only read-only"},
		{sql: "SELECT 1; DROP TABLE daily_bars", refused: "one statement"},
		{sql: "WITH x AS (SELECT 1) DELETE FROM daily_bars", refused: "DELETE"},
		{sql: "COPY daily_bars TO '/tmp/x'", refused: "only read-only"},
		{sql: "ATTACH '/tmp/x.db'", refused: "only read-only"},
		{sql: "SELECT * FROM read_csv('/etc/passwd')", refused: "read_csv()"},
		{sql: "SELECT * FROM READ_PARQUET ('x')", refused: "read_parquet()"},
		{sql: "SELECT * FROM '/etc/passwd'", refused: "names a file"},
		{sql: "SELECT * FROM 'data.csv'", refused: "names a file"},
		{sql: "FROM daily_bars, '/etc/hosts'", refused: "names a file"},
		{sql: "SELECT * FROM daily_bars d JOIN 'x' ON true", refused: "names a file"},
		{sql: "SELECT * FROM daily_bars a JOIN intraday_bars b ON true, 'x.csv'", refused: "names a file"},
		{sql: "SELECT * FROM daily_bars WHERE symbol IN ('AAPL', 'MSFT')"},
		{sql: "SELECT * FROM (SELECT 1 AS a, '/x' AS b) t"},
		{sql: "SELECT * FROM query('SELECT 1')", refused: "query()"},
		{sql: "SELECT getenv('HOME')", refused: "getenv()"},
		{sql: "SELECT 1; SET threads = 1", refused: "one statement"},
		{sql: "PRAGMA version", refused: "only read-only"},
		{sql: "SELECT 'unterminated", refused: "unterminated"},
		{sql: "SELECT /* open", refused: "unterminated"},
		{sql: `SELECT "open`, refused: "unterminated"},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			err := CheckReadOnly(tc.sql)
			switch {
			case tc.refused == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.refused != "" && err == nil:
				t.Errorf("accepted, want refused for %q", tc.refused)
			case tc.refused != "" && !strings.Contains(err.Error(), tc.refused):
				t.Errorf("reason %q lacks %q", err, tc.refused)
			}
		})
	}
}

// FuzzCheckReadOnly: the check never panics, and whatever it accepts starts
// with a read statement and holds no statement separator outside quotes.
func FuzzCheckReadOnly(f *testing.F) {
	for _, s := range []string{"SELECT 1", "WITH a AS (SELECT 1) SELECT * FROM a", "SELECT ';'", "SELECT $x$;$x$", "FROM t", "SELECT E'\\''"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if CheckReadOnly(q) != nil {
			return
		}
		toks, err := lexSQL(q)
		if err != nil || len(toks) == 0 || !readStatements[toks[0].text] {
			t.Fatalf("accepted %q: tokens %v, err %v", q, toks, err)
		}
		for i, tok := range toks {
			if tok.kind == 'p' && tok.text == ";" {
				for _, rest := range toks[i:] {
					if rest.text != ";" {
						t.Fatalf("accepted %q with a second statement", q)
					}
				}
			}
			if tok.kind == 'w' && writeWords[tok.text] {
				t.Fatalf("accepted %q containing %s", q, tok.text)
			}
		}
	})
}
