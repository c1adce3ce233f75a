package controller

import (
	ctrl "sigs.k8s.io/controller-runtime"
)

// kinds registers every kind's controller; each kind's file adds itself.
var kinds []func(mgr ctrl.Manager, cfg *Config, opts Options) error

func register[O Object, A any](k func() *Kind[O, A]) {
	kinds = append(kinds, func(mgr ctrl.Manager, cfg *Config, opts Options) error {
		return Setup(mgr, cfg, opts, k())
	})
}

// SetupAll registers the controllers of every kind with mgr.
func SetupAll(mgr ctrl.Manager, cfg *Config, opts Options) error {
	for _, setup := range kinds {
		if err := setup(mgr, cfg, opts); err != nil {
			return err
		}
	}
	return nil
}
