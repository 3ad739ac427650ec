package sqltext

import "testing"

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT name FROM users WHERE id = 42":                           "SELECT name FROM users WHERE id = ?",
		"INSERT INTO t (a, b) VALUES ('it''s', -3.5)":                    "INSERT INTO t (a, b) VALUES (?, -?)",
		"select  *\n\tfrom t2 where c1 = $1 and x = 'secret":             "select * from t2 where c1 = $1 and x = ?",
		`SELECT "col 1", ` + "`x2`" + ` FROM "t" WHERE v IN (1,2, 0x1f)`: `SELECT "col 1", ` + "`x2`" + ` FROM "t" WHERE v IN (?,?, ?)`,
		"UPDATE t3 SET n = n + 1e3 WHERE k = 'a'":                        "UPDATE t3 SET n = n + ? WHERE k = ?",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOperation(t *testing.T) {
	for in, want := range map[string]string{
		"select 1": "SELECT", " (SELECT 1)": "SELECT", "insert into t values (1)": "INSERT",
		"WITH x AS (SELECT 1) SELECT * FROM x": "WITH", "42": "",
	} {
		if got := Operation(in); got != want {
			t.Errorf("Operation(%q) = %q, want %q", in, got, want)
		}
	}
}
