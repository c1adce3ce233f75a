// Package api holds the wire types of the Jumpgate appliance's HTTP API and a
// Go client for it. It is the one source of truth for the JSON that the
// appliance, the CLI, the Terraform provider and the Kubernetes operator
// exchange, and it depends on the standard library only.
//
// Conventions shared by every collection under /api/v1:
//
//   - Objects carry a numeric "id", a "version" that increases on every write,
//     and "created_at"/"updated_at" timestamps. Reads answer with an ETag of
//     the version; writes that send If-Match fail with 412 when it is stale.
//   - Lists answer {"items": [...], "next_cursor": "..."}; pass next_cursor back
//     as ?cursor= to get the next page. An empty next_cursor means the end.
//   - Errors are RFC 9457 application/problem+json documents, decoded into
//     *Problem, which matches the sentinel errors of this package with
//     errors.Is (ErrNotFound, ErrConflict, ...).
//   - PUT replaces an object; PATCH applies an RFC 7396 JSON merge patch.
//
// Struct tags named "validate" state the appliance's input rules; the
// appliance enforces them and the OpenAPI document is generated from them, so
// the three never disagree.
package api

// Version is the version of this build of Jumpgate. The build sets it with
// -ldflags "-X github.com/jumpgate/jumpgate/api.Version=...".
var Version = "0.0.0-dev"
