package app

import (
	"fmt"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/detect"
)

// detectorConfig maps the detect section of cfg, at cfg's interval, to the
// detector's configuration, and validates it as detect.New would. Lists and
// per-state values are parsed here; config.Validate has checked them, so an
// error means a config that skipped Validate.
func detectorConfig(cfg *config.Config) (detect.Config, error) {
	c := cfg.Detect
	states, err := config.ParseList(c.States)
	if err != nil {
		return detect.Config{}, fmt.Errorf("detect.states: %w", err)
	}
	down, err := config.ParseList(c.DownStates)
	if err != nil {
		return detect.Config{}, fmt.Errorf("detect.down_states: %w", err)
	}
	perState := map[string]map[string]float64{}
	for key, s := range map[string]string{
		"state_relative": c.StateRelative, "state_floor": c.StateFloor, "state_min_score": c.StateMinScore,
	} {
		if perState[key], err = config.ParseStateValues(s); err != nil {
			return detect.Config{}, fmt.Errorf("detect.%s: %w", key, err)
		}
	}
	out := detect.Config{
		States:        states,
		Relative:      c.Relative,
		Floor:         c.Floor,
		ClearRelative: c.ClearRelative,
		MinScore:      c.MinScore,
		K:             c.K,
		MinHistory:    c.MinHistory,
		Window:        time.Duration(c.Window),
		FreezeLimit:   time.Duration(c.FreezeLimit),
		Interval:      time.Duration(cfg.Interval),
		GroupMin:      c.GroupMin,
		DownStates:    down,
		StateRelative: perState["state_relative"],
		StateFloor:    perState["state_floor"],
		StateMinScore: perState["state_min_score"],
		Seasonal:      c.Seasonal,
		SeasonalDays:  c.SeasonalDays,
		SeasonalWidth: time.Duration(c.SeasonalWidth),
	}
	if err := out.Validate(); err != nil {
		return detect.Config{}, err
	}
	return out, nil
}
