// Package metrics has the operator's Prometheus metrics about its custom
// resources and itself; controller-runtime's own (reconciles, work queues,
// client requests) and the appliance request metrics of package appliance
// are served beside them on the same /metrics.
package metrics

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// Resources is a Prometheus collector of the operator's custom resources:
// jumpgate_operator_resources{kind, ready, reason} is the number of
// resources of each kind by the status ("True", "False" or "Unknown" when
// there is none yet) and reason of their Ready condition. It reads them
// from the operator's cache (Reader) when scraped, so a scrape costs no
// API server request once the cache is synced.
type Resources struct {
	// Reader is where resources are listed, normally the manager's cache.
	Reader client.Reader
	// Timeout bounds the listing of one kind during a scrape (a cache not
	// synced yet would otherwise block the scrape); default 2 s. A kind that
	// cannot be listed is left out of that scrape.
	Timeout time.Duration

	scheme *runtime.Scheme
	lists  []schema.GroupVersionKind
	desc   *prometheus.Desc
}

// NewResources returns the collector of every kind of group jumpgate.dev
// known to scheme.
func NewResources(r client.Reader, scheme *runtime.Scheme) *Resources {
	c := &Resources{
		Reader: r,
		scheme: scheme,
		desc: prometheus.NewDesc("jumpgate_operator_resources",
			"Custom resources of the Jumpgate operator by kind and the status and reason of their Ready condition.",
			[]string{"kind", "ready", "reason"}, nil),
	}
	for gvk := range scheme.AllKnownTypes() {
		if gvk.GroupVersion() == v1alpha1.GroupVersion && strings.HasSuffix(gvk.Kind, "List") {
			c.lists = append(c.lists, gvk)
		}
	}
	sort.Slice(c.lists, func(i, j int) bool { return c.lists[i].Kind < c.lists[j].Kind })
	return c
}

// Describe implements prometheus.Collector.
func (c *Resources) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *Resources) Collect(ch chan<- prometheus.Metric) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	for _, gvk := range c.lists {
		kind := strings.TrimSuffix(gvk.Kind, "List")
		counts, ok := c.count(gvk, timeout)
		if !ok {
			continue
		}
		for k, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), kind, k.ready, k.reason)
		}
	}
}

type readyKey struct{ ready, reason string }

func (c *Resources) count(gvk schema.GroupVersionKind, timeout time.Duration) (map[readyKey]int, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	obj, err := c.scheme.New(gvk)
	if err != nil {
		return nil, false
	}
	list, ok := obj.(client.ObjectList)
	if !ok {
		return nil, false
	}
	if err := c.Reader.List(ctx, list); err != nil {
		return nil, false
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		return nil, false
	}
	counts := map[readyKey]int{}
	for _, it := range items {
		o, ok := it.(v1alpha1.Object)
		if !ok {
			continue
		}
		k := readyKey{ready: "Unknown"}
		if cond := apimeta.FindStatusCondition(o.CommonStatus().Conditions, v1alpha1.ConditionReady); cond != nil {
			k = readyKey{ready: string(cond.Status), reason: cond.Reason}
		}
		counts[k]++
	}
	return counts, true
}

// BuildInfo is jumpgate_operator_build_info{version}, always 1.
func BuildInfo(version string) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "jumpgate_operator_build_info",
		Help:        "The version of the running operator, as a label; always 1.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	g.Set(1)
	return g
}
