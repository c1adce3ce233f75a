package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the appliance API, served at
// /api/v1/openapi.json. It is generated from the appliance's route table
// (go generate ./appliance/...) and a test keeps it equal to the router.
//
//go:embed openapi.json
var OpenAPI []byte
