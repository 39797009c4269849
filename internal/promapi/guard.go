package promapi

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// maxSubquerySteps bounds the evaluation steps of one subquery. Prometheus
// v0.316.0 allocates two int64 per subquery step before reading any data
// (stats.NewChildWithStepTracking in promql.evaluator.runSubquery), so
// max_over_time(x[1y:1ms]) asks for about 500 GB and kills the process;
// MaxSamples does not help because it counts samples, not steps. 2^21 steps
// cost 32 MiB and still allow x[1y:15s] over a day.
const maxSubquerySteps = 1 << 21

// defaultSubqueryStep is assumed for a subquery without a step ("x[1h:]").
// The engine's NoStepSubqueryIntervalFn decides the real one; Prometheus
// uses the global evaluation_interval, one minute by default.
const defaultSubqueryStep = time.Minute

// checkSubqueries rejects a built query whose subqueries would evaluate
// more than maxSubquerySteps steps. A subquery is evaluated once over the
// whole query range widened by its own range and those of the subqueries
// around it; offsets shift that window and @ narrows it, so the estimate
// errs on the large side.
func checkSubqueries(stmt parser.Statement) error {
	es, ok := stmt.(*parser.EvalStmt)
	if !ok || es.Expr == nil {
		return nil
	}
	span := es.End.Sub(es.Start)
	var tooMany error
	parser.Inspect(es.Expr, func(node parser.Node, path []parser.Node) error {
		sq, ok := node.(*parser.SubqueryExpr)
		if !ok {
			return nil
		}
		window := addSat(span, sq.Range)
		for _, p := range path {
			if outer, ok := p.(*parser.SubqueryExpr); ok {
				window = addSat(window, outer.Range)
			}
		}
		step := sq.Step
		if step <= 0 {
			step = defaultSubqueryStep
		}
		if steps := window / step; steps > maxSubquerySteps {
			tooMany = badData(fmt.Errorf("subquery %s would evaluate %d steps, more than the maximum of %s; increase its step",
				sq, steps, thousands(maxSubquerySteps)))
			return tooMany
		}
		return nil
	})
	return tooMany
}

// addSat adds two non-negative durations, saturating at the largest one.
func addSat(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
