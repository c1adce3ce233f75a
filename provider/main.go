// Command terraform-provider-jumpgate is the Terraform provider of the
// Jumpgate appliance, source address registry.terraform.io/jumpgate/jumpgate.
// Terraform starts it; run it with -debug to attach a debugger (it prints a
// TF_REATTACH_PROVIDERS value to export).
package main

//go:generate bash ../hack/tfplugindocs.sh

import (
	"context"
	"flag"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/provider/internal/provider"
)

func main() {
	debug := flag.Bool("debug", false, "serve in debug mode, for a debugger (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()
	quietUnlessAsked()
	err := providerserver.Serve(context.Background(), provider.New(api.Version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}

// quietUnlessAsked turns the plugin SDK's own logging off when no TF_LOG*
// variable asks for logs. Unasked, the SDK still formats every trace line as
// JSON for terraform, which parses and then drops it: measured on a no-op
// plan of 500 resources, that was about 40% of the provider's CPU time and
// much of terraform's. TF_LOG=trace (or TF_LOG_PROVIDER, TF_LOG_SDK*, …)
// keeps the SDK's default behaviour.
func quietUnlessAsked() {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_LOG") {
			return
		}
	}
	for _, k := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
		_ = os.Setenv(k, "OFF")
	}
}
