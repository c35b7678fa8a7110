package serve

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// adminScheme is the OpenAPI security scheme of admin routes.
const adminScheme = "adminApiKey"

// adminOnly marks an operation as needing an admin API key; the document
// shows it and the auth middleware enforces it.
var adminOnly = []map[string][]string{{adminScheme: {}}}

// AdminOnly is the security requirement of an admin-only operation
// registered through Server.Mount; the auth middleware enforces it.
func AdminOnly() []map[string][]string { return adminOnly }

func addSecuritySchemes(api huma.API) {
	oa := api.OpenAPI()
	if oa.Components.SecuritySchemes == nil {
		oa.Components.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	oa.Components.SecuritySchemes[adminScheme] = &huma.SecurityScheme{
		Type: "apiKey", In: "header", Name: "X-API-Key",
		Description: "An admin key from TICKERLAKE_ADMIN_API_KEYS; `Authorization: Bearer <key>` is accepted too.",
	}
}

// apiKeyOf returns the key a request presents, from X-API-Key or a bearer
// Authorization header.
func apiKeyOf(r interface{ Header(string) string }) string {
	if k := r.Header("X-API-Key"); k != "" {
		return k
	}
	if a := r.Header("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// validKey compares in constant time against every configured key.
func (s *Server) validKey(key string) bool {
	ok := 0
	for _, k := range s.Config.AdminKeys {
		ok |= subtle.ConstantTimeCompare([]byte(k), []byte(key))
	}
	return ok == 1 && key != ""
}

func needsAdmin(op *huma.Operation) bool {
	for _, req := range op.Security {
		if _, ok := req[adminScheme]; ok {
			return true
		}
	}
	return false
}

// authMiddleware enforces admin keys on the operations that declare them.
func (s *Server) authMiddleware(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if !needsAdmin(ctx.Operation()) {
			next(ctx)
			return
		}
		if len(s.Config.AdminKeys) == 0 {
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "admin routes are disabled: no admin API keys are configured (TICKERLAKE_ADMIN_API_KEYS)")
			return
		}
		key := apiKeyOf(ctx)
		if key == "" {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="tickerlake-admin"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "this route needs an admin API key in X-API-Key or Authorization: Bearer")
			return
		}
		if !s.validKey(key) {
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "the API key is not an admin key")
			return
		}
		next(ctx)
	}
}

// httpHeaders adapts an http.Request to apiKeyOf.
type httpHeaders struct{ r *http.Request }

func (h httpHeaders) Header(name string) string { return h.r.Header.Get(name) }
