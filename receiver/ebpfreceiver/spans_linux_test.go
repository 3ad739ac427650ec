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

func TestJoinRoutes(t *testing.T) {
	for _, tc := range []struct{ outer, inner, path, want string }{
		{"/", "/users/{id}", "/users/3", "/users/{id}"},                 // middleware copying the request
		{"/mw/", "/items/{id}", "/mw/items/7", "/mw/items/{id}"},        // http.StripPrefix("/mw", inner)
		{"/api/", "/api/users/{id}", "/api/users/7", "/api/users/{id}"}, // inner mux with full paths
		{"/users/{id}", "", "/users/3", "/users/{id}"},
		{"/files/", "/{path...}", "/files/a/b", "/files/{path...}"},
		{"/x/", "/{$}", "/x/", "/x/{$}"},
	} {
		if got := joinRoutes(tc.outer, tc.inner, tc.path); got != tc.want {
			t.Errorf("joinRoutes(%q, %q, %q) = %q, want %q", tc.outer, tc.inner, tc.path, got, tc.want)
		}
	}
}
