package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"text/tabwriter"
	"time"
)

// Result is what a scenario measured: the table it prints and the JSON it
// writes.
type Result struct {
	Scenario string `json:"scenario"`
	// Command is the command line that produced the result.
	Command   string            `json:"command"`
	Target    string            `json:"target"`
	StartedAt time.Time         `json:"startedAt"`
	Params    map[string]string `json:"params"`
	Figures   []Figure          `json:"figures"`
	// Latency is the scenario's latency histogram, when it has one.
	Latency *Latency `json:"latency,omitempty"`
	// Notes say what a reader must know to read the figures.
	Notes []string `json:"notes,omitempty"`
}

// Figure is one measured value.
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// add appends a figure.
func (r *Result) add(name string, value float64, unit string) {
	r.Figures = append(r.Figures, Figure{Name: name, Value: value, Unit: unit})
}

// note appends a note.
func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Figure returns the value of the named figure and whether it is there.
func (r *Result) Figure(name string) (float64, bool) {
	for _, f := range r.Figures {
		if f.Name == name {
			return f.Value, true
		}
	}
	return 0, false
}

// WriteTable prints the result as an aligned table.
func (r *Result) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "vigil bench %s against %s at %s\n", r.Scenario, r.Target,
		r.StartedAt.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tunit")
	for _, f := range r.Figures {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, formatValue(f.Value), f.Unit)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(tw, "%s: samples\t%d\t\n", l.What, l.Count)
		for _, q := range l.quantiles() {
			fmt.Fprintf(tw, "%s: %s\t%s\tms\n", l.What, q.name, formatValue(q.ms))
		}
	}
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// WriteJSON writes the result to path.
func (r *Result) WriteJSON(path string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// ReadResult reads a result written by WriteJSON.
func ReadResult(path string) (*Result, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("read result %s: %w", path, err)
	}
	return &r, nil
}

// formatValue prints whole numbers as integers and others with about
// three significant digits, the precision the measurements carry.
func formatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case v == math.Trunc(v) || a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
