// Package dashboards holds qmonit's Grafana dashboards as JSON, in two
// flavours: prometheus/ (PromQL for qmonit's own /api/v1, or
// VictoriaMetrics and Prometheus fed by the remote-write sink) and
// influxdb/ (InfluxQL on the seed's schema, fed by the InfluxDB sink), plus
// Grafana provisioning examples under provisioning/.
//
// The package has no code of its own: its tests parse every dashboard,
// check the schema essentials, parse every query, and execute every query
// with its template variables filled with real values against the engine
// it targets. See README.md.
package dashboards
