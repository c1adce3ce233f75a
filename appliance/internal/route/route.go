// Package route describes the appliance's HTTP routes once, so that the
// server registers them and the OpenAPI document is generated from the same
// table.
package route

import "github.com/gin-gonic/gin"

// Access says who may call a route.
type Access int

const (
	// Authenticated routes need a valid bearer token; the handler decides more.
	Authenticated Access = iota
	// Public routes need no token (probes, the OpenAPI document, agent endpoints
	// that authenticate on their own).
	Public
	// OwnToken routes take a bearer credential that the handler checks
	// itself, because it need not be an API token (GET /metrics takes the
	// scrape token too). They are documented as Authenticated.
	OwnToken
)

// Route is one method+path with its handler and documentation.
type Route struct {
	Method string
	// Path is relative to the server root, in gin syntax ("/api/v1/jump-groups/:id").
	Path    string
	Handler gin.HandlerFunc
	Access  Access

	// Documentation, read by the OpenAPI generator.
	Tag     string // the collection, e.g. "jump-groups"
	Summary string
	// Request is a zero value of the JSON body type, or nil.
	Request any
	// Response is a zero value of the 2xx JSON body type, or nil for 204.
	Response any
	// Status is the success status; 0 means 200.
	Status int
	// Query lists documented query parameters (name → description).
	Query map[string]string
	// RawBody marks endpoints whose body is not JSON (e.g. downloads).
	RawBody string // content type of the response, when not JSON
	// AdminOnly documents that only administrators may call it.
	AdminOnly bool
	// Errors lists error statuses the route answers beyond those the
	// generator derives from its shape (e.g. 409 for a disabled object).
	Errors []int
	// Unversioned marks a PUT, PATCH or DELETE that takes no If-Match,
	// because what it changes has no version (e.g. a node of a jumpoint):
	// the document then lists neither If-Match nor 412 (nor, for a DELETE,
	// the 400 of a malformed If-Match).
	Unversioned bool
}
