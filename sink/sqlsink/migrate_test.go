package sqlsink

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadMigrations(t *testing.T) {
	file := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
	for _, tc := range []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr string
	}{
		{"in version order", fstest.MapFS{
			"migrations/pg/0002_more.sql":      file("ALTER"),
			"migrations/pg/0001_warehouse.sql": file("CREATE"),
		}, []int{1, 2}, ""},
		{"a gap means a lost file", fstest.MapFS{
			"migrations/pg/0001_warehouse.sql": file("CREATE"),
			"migrations/pg/0003_more.sql":      file("ALTER"),
		}, nil, "version 3 found where 2 was expected"},
		{"names are checked", fstest.MapFS{
			"migrations/pg/1_warehouse.sql": file("CREATE"),
		}, nil, "name is not NNNN_name.sql"},
		{"none", fstest.MapFS{"migrations/pg": &fstest.MapFile{Mode: fs.ModeDir | 0o755}}, nil, "none"},
		{"no such dialect", fstest.MapFS{}, nil, "read migrations/pg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readMigrations(tc.files, "pg")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var versions []int
			for _, m := range got {
				versions = append(versions, m.version)
			}
			if len(versions) != len(tc.want) || versions[0] != tc.want[0] || versions[len(versions)-1] != tc.want[len(tc.want)-1] {
				t.Errorf("versions %v, want %v", versions, tc.want)
			}
		})
	}
}
