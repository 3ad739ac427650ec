//go:build linux && amd64

package ebpfreceiver

import "testing"

func TestRouteOf(t *testing.T) {
	for in, want := range map[string]string{
		"GET /users/{id}":             "/users/{id}",
		"/static/":                    "/static/",
		"example.com/x":               "/x",
		"POST example.com/orders/{n}": "/orders/{n}",
		"":                            "",
	} {
		if got := routeOf(in); got != want {
			t.Errorf("routeOf(%q) = %q, want %q", in, got, want)
		}
	}
}
