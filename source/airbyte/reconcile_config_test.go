package airbyte

import (
	"strings"
	"testing"
)

func TestParseConfigReconcileDeletes(t *testing.T) {
	const creds = `"credentials":{"auth_type":"api_token","api_token":"tok123"}`
	for _, tc := range []struct {
		name, extra string
		want        bool
		dir, err    string
	}{
		{"off by default", ``, false, "", ""},
		{"on with a directory", `,"reconcile_deletes":true,"ids_dir":"/data/ids"`, true, "/data/ids", ""},
		{"on without a directory", `,"reconcile_deletes":true`, false, "", "needs ids_dir"},
		{"relative directory", `,"reconcile_deletes":true,"ids_dir":"ids"`, false, "", "absolute"},
		{"a directory alone does nothing", `,"ids_dir":"/data/ids"`, false, "/data/ids", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(`{` + creds + tc.extra + `}`))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.ReconcileDeletes != tc.want || c.IDsDir != tc.dir {
				t.Errorf("reconcile %v in %q, want %v in %q", c.ReconcileDeletes, c.IDsDir, tc.want, tc.dir)
			}
		})
	}
}
