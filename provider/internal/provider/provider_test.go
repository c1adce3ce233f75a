package provider

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// The acceptance tests run the real terraform binary (TF_ACC=1, set by
// make test and make testacc through ~/.cache/jumpgate/env.sh) against a
// real appliance started in the test process, one per test.

// factories serves this package's provider in-process to terraform.
var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"jumpgate": providerserver.NewProtocol6WithError(New("test")()),
}

// acc is one acceptance test's appliance.
type acc struct {
	srv *appliancetest.Server
	// Admin is an API client as the bootstrap admin, for changes made
	// "outside Terraform" and for checks.
	Admin *api.Client
}

// newAcc starts an appliance for t, or skips t when TF_ACC is not set.
func newAcc(t *testing.T, opts ...appliancetest.Option) *acc {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc does) to run it with the real terraform binary")
	}
	srv := appliancetest.NewServer(t, opts...)
	return &acc{srv: srv, Admin: srv.Admin}
}

// config prefixes hcl with a provider block for the test's appliance.
func (a *acc) config(hcl string) string {
	return a.providerBlock() + hcl
}

func (a *acc) providerBlock() string {
	return fmt.Sprintf(`
provider "jumpgate" {
  url         = %q
  token       = %q
  ca_cert_pem = <<-EOT
%s
  EOT
}
`, a.srv.URL, a.srv.AdminToken, strings.TrimSpace(string(a.srv.CAPEM)))
}

// test runs steps against the in-process provider, in parallel with the
// other tests (each has its own appliance).
func (a *acc) test(t *testing.T, steps ...resource.TestStep) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: steps})
}

// serial is test for tests that change the process environment.
func (a *acc) serial(t *testing.T, steps ...resource.TestStep) {
	t.Helper()
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: steps})
}

// expectError matches a diagnostic's text, whatever the line wrapping
// terraform applies to it.
func expectError(words string) *regexp.Regexp {
	parts := strings.Fields(words)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(strings.Join(parts, `\s+`))
}
