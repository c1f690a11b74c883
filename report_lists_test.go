package anxin_test

import (
	"encoding/json"
	"testing"

	"anxin"
)

func TestSectionListsJSON(t *testing.T) {
	for _, tt := range []struct {
		s    anxin.Section
		want string
	}{
		{anxin.Section{Metrics: []anxin.Metric{{Name: "n", Value: 2}}}, `{"n":2}`},
		{anxin.Section{Lists: map[string]any{"campaigns": []map[string]any{{"category": "fresh"}}}}, `{"campaigns":[{"category":"fresh"}]}`},
		{anxin.Section{Metrics: []anxin.Metric{{Name: "n", Value: 1}}, Lists: map[string]any{"b": 1, "a": []int{}},
			Charts: []anxin.Series{{Name: "c", Labels: []string{"x"}, Values: []float64{1}}}},
			`{"n":1,"a":[],"b":1,"charts":[{"name":"c","title":"","labels":["x"],"values":[1]}]}`},
	} {
		got, err := json.Marshal(tt.s)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.s, got, err, tt.want)
		}
	}
}
