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

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/provider/internal/provider"
)

func main() {
	debug := flag.Bool("debug", false, "serve in debug mode, for a debugger (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()
	err := providerserver.Serve(context.Background(), provider.New(api.Version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
