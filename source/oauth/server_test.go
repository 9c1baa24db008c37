package oauth

import "testing"

func TestServerFor(t *testing.T) {
	for _, tc := range []struct{ api, want string }{
		{"http://127.0.0.1:8123", "http://127.0.0.1:8123"},
		{"http://localhost:9/api", "http://localhost:9"},
		{" http://[::1]:7/ ", "http://[::1]:7"},
		{"https://api.pipedrive.com", ""},
		{"https://acme.pipedrive.com", ""},
		{"http://10.0.0.1:80", ""}, // not loopback: Pipedrive's server
		{"ftp://127.0.0.1", ""},
		{"", ""},
		{"::not a url", ""},
	} {
		if got := ServerFor(tc.api); got != tc.want {
			t.Errorf("ServerFor(%q) = %q, want %q", tc.api, got, tc.want)
		}
	}
}
