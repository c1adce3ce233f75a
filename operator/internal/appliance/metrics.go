package appliance

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of the operator's appliance requests.
// A nil *Metrics records nothing.
type Metrics struct {
	// Requests counts requests by method, collection (the first path
	// segment after /api/v1/) and code: the HTTP status, or "error" when no
	// answer came (connection refused, TLS, timeout, unreadable token).
	Requests *prometheus.CounterVec
	// Duration is the time to the answer's headers, by method and
	// collection.
	Duration *prometheus.HistogramVec
	// TokenReloads counts the times a changed token was read from the token
	// file.
	TokenReloads prometheus.Counter
	// Up is 1 while the last readiness check of the appliance succeeded,
	// else 0.
	Up prometheus.Gauge
}

// NewMetrics returns the metrics, not yet registered.
func NewMetrics() *Metrics {
	return &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jumpgate_operator_appliance_requests_total",
			Help: "Requests of the operator to the appliance API, by method, collection and HTTP status code (\"error\": no answer).",
		}, []string{"method", "collection", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jumpgate_operator_appliance_request_duration_seconds",
			Help:    "Time from a request of the operator to the appliance API to the answer's headers, by method and collection.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "collection"}),
		TokenReloads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jumpgate_operator_token_reloads_total",
			Help: "Times the operator read a changed API token from its token file.",
		}),
		Up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jumpgate_operator_appliance_up",
			Help: "1 while the last check of the appliance (GET /api/v1/whoami as an administrator) succeeded, else 0.",
		}),
	}
}

// Collectors lists the metrics, for registering them.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Requests, m.Duration, m.TokenReloads, m.Up}
}

func (m *Metrics) observe(req *http.Request, code string, d time.Duration) {
	if m == nil {
		return
	}
	coll := collection(req.URL.Path)
	m.Requests.WithLabelValues(req.Method, coll, code).Inc()
	if code != "error" {
		m.Duration.WithLabelValues(req.Method, coll).Observe(d.Seconds())
	}
}
