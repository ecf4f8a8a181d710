package server

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the Prometheus registry and the server's instruments. It is
// served only on the admin listener, never on the public one.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the server's instruments, and the Go runtime and
// process collectors, on reg (a fresh registry when nil). There is no global
// registry: two servers in one test process do not collide.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "astral_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "astral_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// RegisterDBStats exports connection-pool statistics from stats, which is
// called at each scrape. name labels the pool ("main").
func (m *Metrics) RegisterDBStats(name string, stats func() sql.DBStats) {
	m.reg.MustRegister(&dbStatsCollector{name: name, stats: stats})
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// knownMethods bounds the method label, so junk methods cannot explode the
// number of series.
var knownMethods = map[string]string{
	"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT",
	"PATCH": "PATCH", "DELETE": "DELETE", "OPTIONS": "OPTIONS",
}

func (m *Metrics) observe(method, route string, status int, d time.Duration) {
	meth, ok := knownMethods[method]
	if !ok {
		meth = "OTHER"
	}
	m.requests.WithLabelValues(meth, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(meth, route).Observe(d.Seconds())
}

// dbStatsCollector reports sql.DBStats. The SQLite store has two pools
// (one writer, many readers); its Stats sums them.
type dbStatsCollector struct {
	name  string
	stats func() sql.DBStats
}

var (
	dbOpenDesc  = prometheus.NewDesc("astral_db_open_connections", "Open database connections.", []string{"db"}, nil)
	dbInUseDesc = prometheus.NewDesc("astral_db_in_use_connections", "Database connections in use.", []string{"db"}, nil)
	dbIdleDesc  = prometheus.NewDesc("astral_db_idle_connections", "Idle database connections.", []string{"db"}, nil)
	dbMaxDesc   = prometheus.NewDesc("astral_db_max_open_connections", "Maximum open database connections.", []string{"db"}, nil)
	dbWaitDesc  = prometheus.NewDesc("astral_db_wait_count_total", "Connections waited for.", []string{"db"}, nil)
	dbWaitDur   = prometheus.NewDesc("astral_db_wait_duration_seconds_total", "Time spent waiting for connections.", []string{"db"}, nil)
)

func (c *dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbOpenDesc, dbInUseDesc, dbIdleDesc, dbMaxDesc, dbWaitDesc, dbWaitDur} {
		ch <- d
	}
}

func (c *dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(dbOpenDesc, prometheus.GaugeValue, float64(s.OpenConnections), c.name)
	ch <- prometheus.MustNewConstMetric(dbInUseDesc, prometheus.GaugeValue, float64(s.InUse), c.name)
	ch <- prometheus.MustNewConstMetric(dbIdleDesc, prometheus.GaugeValue, float64(s.Idle), c.name)
	ch <- prometheus.MustNewConstMetric(dbMaxDesc, prometheus.GaugeValue, float64(s.MaxOpenConnections), c.name)
	ch <- prometheus.MustNewConstMetric(dbWaitDesc, prometheus.CounterValue, float64(s.WaitCount), c.name)
	ch <- prometheus.MustNewConstMetric(dbWaitDur, prometheus.CounterValue, s.WaitDuration.Seconds(), c.name)
}
