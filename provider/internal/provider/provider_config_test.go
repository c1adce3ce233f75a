package provider

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccProviderConfig covers the provider block: attribute errors for
// missing settings, the JUMPGATE_* fallbacks (the CA as a path or as PEM),
// and a CA that does not match.
func TestAccProviderConfig(t *testing.T) {
	a := newAcc(t)
	for _, k := range []string{"JUMPGATE_URL", "JUMPGATE_TOKEN", "JUMPGATE_CA_CERT"} {
		t.Setenv(k, "")
	}
	const read = `
data "jumpgate_jump_groups" "all" {}
`
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, a.srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	a.serial(t,
		resource.TestStep{
			Config:      `provider "jumpgate" {}` + read,
			ExpectError: expectError("Missing appliance URL"),
		},
		resource.TestStep{
			Config:      `provider "jumpgate" {}` + read,
			ExpectError: expectError("Missing API token"),
		},
		resource.TestStep{
			Config: `
provider "jumpgate" {
  url   = "ftp://example.com"
  token = "x"
}` + read,
			ExpectError: expectError("scheme must be https or http"),
		},
		// The environment alone, the CA as a file path.
		resource.TestStep{
			PreConfig: func() {
				t.Setenv("JUMPGATE_URL", a.srv.URL)
				t.Setenv("JUMPGATE_TOKEN", a.srv.AdminToken)
				t.Setenv("JUMPGATE_CA_CERT", caFile)
			},
			Config: `provider "jumpgate" {}` + read,
			Check:  resource.TestCheckResourceAttr("data.jumpgate_jump_groups.all", "items.#", "0"),
		},
		// The CA as PEM in the environment.
		resource.TestStep{
			PreConfig: func() { t.Setenv("JUMPGATE_CA_CERT", string(a.srv.CAPEM)) },
			Config:    `provider "jumpgate" {}` + read,
			Check:     resource.TestCheckResourceAttr("data.jumpgate_jump_groups.all", "items.#", "0"),
		},
		// Without the appliance's CA, the system roots do not trust it.
		resource.TestStep{
			PreConfig:   func() { t.Setenv("JUMPGATE_CA_CERT", "") },
			Config:      `provider "jumpgate" {}` + read,
			ExpectError: expectError("certificate signed by unknown authority"),
		},
		// A wrong token is refused by the appliance.
		resource.TestStep{
			PreConfig: func() {
				t.Setenv("JUMPGATE_CA_CERT", caFile)
				t.Setenv("JUMPGATE_TOKEN", "jgt_wrong")
			},
			Config:      `provider "jumpgate" {}` + read,
			ExpectError: expectError("401 unauthorized"),
		},
		resource.TestStep{
			PreConfig: func() { t.Setenv("JUMPGATE_TOKEN", a.srv.AdminToken) },
			Config:    `provider "jumpgate" {}` + read,
		},
	)
}
