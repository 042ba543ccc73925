package metrics_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file renders a dashboard from Prometheus' query_range API with the
// standard library only (image, image/png and a built-in 5x7 bitmap
// font): a picture of what Grafana would show, drawn by us, not by
// Grafana. TestDashboardsAgainstServer uses it when renderEnv is set.

// renderEnv names the PNG file to write; renderSecondsEnv how long the
// extra traffic runs before rendering (default 150).
const (
	renderEnv        = "TASKQ_DASHBOARD_PNG"
	renderSecondsEnv = "TASKQ_DASHBOARD_SECONDS"
)

// Layout: one grid column, one grid row, the header, in pixels.
const (
	colW    = 60
	rowH    = 28
	headerH = 60
)

var (
	bgColor     = color.RGBA{0x11, 0x12, 0x17, 0xff}
	panelColor  = color.RGBA{0x18, 0x1b, 0x1f, 0xff}
	borderColor = color.RGBA{0x2c, 0x30, 0x35, 0xff}
	gridColor   = color.RGBA{0x25, 0x28, 0x2e, 0xff}
	textColor   = color.RGBA{0xd8, 0xd9, 0xda, 0xff}
	dimColor    = color.RGBA{0x8e, 0x8e, 0x9e, 0xff}
	palette     = []color.RGBA{
		{0x73, 0xbf, 0x69, 0xff}, {0xfa, 0xde, 0x2a, 0xff}, {0x57, 0x94, 0xf2, 0xff},
		{0xff, 0x98, 0x30, 0xff}, {0xf2, 0x49, 0x5c, 0xff}, {0xb8, 0x77, 0xd9, 0xff},
		{0x8a, 0xb8, 0xff, 0xff}, {0x96, 0xd9, 0x8d, 0xff}, {0xff, 0xb3, 0x57, 0xff},
		{0xca, 0x95, 0xe5, 0xff}, {0x5a, 0xa6, 0x4b, 0xff}, {0xe0, 0xb4, 0x00, 0xff},
	}
	// stateColors are Grafana's named colours of the state timelines'
	// value mappings.
	stateColors = map[string]color.RGBA{
		"green": {0x73, 0xbf, 0x69, 0xff}, "yellow": {0xfa, 0xde, 0x2a, 0xff}, "red": {0xf2, 0x49, 0x5c, 0xff},
		"orange": {0xff, 0x98, 0x30, 0xff}, "transparent": {0x30, 0x33, 0x38, 0xff},
	}
)

// renderVars sets the dashboard variables for range queries: a rate
// window of 20 scrapes, every queue and instance.
var renderVars = strings.NewReplacer("$__rate_interval", "20s", "$queue", ".*", "$instance", ".*")

// series is one line of a panel.
type series struct {
	label string
	ts    []float64 // unix seconds
	vs    []float64
}

// canvas draws on an RGBA image.
type canvas struct{ img *image.RGBA }

func (c canvas) fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.img, r, &image.Uniform{col}, image.Point{}, draw.Src)
}

// text draws s with its top-left corner at (x, y), each font pixel
// scale x scale, and returns the width drawn.
func (c canvas) text(x, y int, s string, col color.Color, scale int) int {
	cx := x
	for _, r := range s {
		g, ok := font5x7[unicode.ToUpper(r)]
		if !ok {
			g = font5x7['?']
		}
		for row, bits := range g {
			for bit := range 5 {
				if bits&(1<<(4-bit)) != 0 {
					c.fill(image.Rect(cx+bit*scale, y+row*scale, cx+(bit+1)*scale, y+(row+1)*scale), col)
				}
			}
		}
		cx += 6 * scale
	}
	return cx - x
}

func textWidth(s string, scale int) int { return len([]rune(s)) * 6 * scale }

// fit shortens s with ".." so that it is at most w pixels wide.
func fit(s string, w, scale int) string {
	r := []rune(s)
	if textWidth(s, scale) <= w {
		return s
	}
	n := max(0, w/(6*scale)-2)
	return string(r[:min(n, len(r))]) + ".."
}

// line draws a line two pixels thick.
func (c canvas) line(x0, y0, x1, y1 int, col color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		c.fill(image.Rect(x0, y0, x0+2, y0+2), col)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// legendVar matches {{label}} in a legend format.
var legendVar = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// fetchPanel runs the range query of every target of p.
func fetchPanel(prom *promServer, p panel, start, end time.Time, step time.Duration) ([]series, error) {
	var out []series
	for _, tg := range p.Targets {
		res, err := prom.queryRange(renderVars.Replace(tg.Expr), start, end, step)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Title, err)
		}
		sort.Slice(res, func(i, j int) bool { return fmt.Sprint(res[i].Metric) < fmt.Sprint(res[j].Metric) })
		for _, r := range res {
			label := legendVar.ReplaceAllStringFunc(tg.LegendFormat, func(m string) string {
				return r.Metric[legendVar.FindStringSubmatch(m)[1]]
			})
			if label == "" {
				label = fmt.Sprint(r.Metric)
			}
			s := series{label: label}
			for _, v := range r.Values {
				ts, _ := v[0].(float64)
				s.ts = append(s.ts, ts)
				s.vs = append(s.vs, sample{Value: v}.float())
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// renderDashboard draws d from prom's data between start and end into a
// PNG file at path.
func renderDashboard(prom *promServer, d dashboard, path string, start, end time.Time) error {
	step := max(time.Second, end.Sub(start)/300).Round(time.Second)
	bottom := 0
	for _, p := range allPanels(d.Panels) {
		bottom = max(bottom, p.GridPos.Y+p.GridPos.H)
	}
	c := canvas{image.NewRGBA(image.Rect(0, 0, 24*colW, headerH+bottom*rowH+8))}
	c.fill(c.img.Bounds(), bgColor)
	c.text(12, 10, d.Title, textColor, 3)
	c.text(12, 40, fmt.Sprintf("Rendered from Prometheus data by taskq's own test renderer, not by Grafana - %s to %s UTC, step %s",
		start.UTC().Format("2006-01-02 15:04:05"), end.UTC().Format("15:04:05"), step), dimColor, 1)

	for _, p := range allPanels(d.Panels) {
		g := p.GridPos
		r := image.Rect(g.X*colW+4, headerH+g.Y*rowH+4, (g.X+g.W)*colW-4, headerH+(g.Y+g.H)*rowH-4)
		if p.Type == "row" {
			c.text(r.Min.X+4, r.Min.Y+4, p.Title, textColor, 2)
			continue
		}
		c.fill(r, borderColor)
		c.fill(r.Inset(1), panelColor)
		c.text(r.Min.X+8, r.Min.Y+8, fit(p.Title, r.Dx()-16, 2), textColor, 2)
		data, err := fetchPanel(prom, p, start, end, step)
		if err != nil {
			return err
		}
		body := image.Rect(r.Min.X+8, r.Min.Y+30, r.Max.X-10, r.Max.Y-6)
		unit := p.FieldConfig.Defaults.Unit
		switch p.Type {
		case "stat":
			c.drawStat(body, data, unit)
		case "state-timeline":
			c.drawTimeline(body, data, timelineStates(p), start, end)
		default:
			c.drawTimeseries(body, data, unit, start, end)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, c.img); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// last returns the last finite value of s.
func last(s series) (float64, bool) {
	for i := len(s.vs) - 1; i >= 0; i-- {
		if !math.IsNaN(s.vs[i]) && !math.IsInf(s.vs[i], 0) {
			return s.vs[i], true
		}
	}
	return 0, false
}

func (c canvas) drawStat(r image.Rectangle, data []series, unit string) {
	text := "NO DATA"
	if len(data) > 0 {
		if v, ok := last(data[0]); ok {
			text = formatValue(v, unit)
		}
	}
	scale := 8
	for scale > 2 && textWidth(text, scale) > r.Dx() {
		scale--
	}
	c.text(r.Min.X+(r.Dx()-textWidth(text, scale))/2, r.Min.Y+(r.Dy()-7*scale)/2, text, palette[0], scale)
}

// timelineState is one value of a state timeline: its text and colour.
type timelineState struct {
	text  string
	color color.RGBA
}

// timelineStates reads the value mappings of a state timeline panel,
// indexed by value (0, 1, ...).
func timelineStates(p panel) []timelineState {
	var out []timelineState
	for _, m := range p.FieldConfig.Defaults.Mappings {
		for v := 0; ; v++ {
			o, ok := m.Options[strconv.Itoa(v)]
			if !ok {
				break
			}
			out = append(out, timelineState{fmt.Sprint(v, " ", o.Text), stateColors[o.Color]})
		}
	}
	return out
}

func (c canvas) drawTimeline(r image.Rectangle, data []series, states []timelineState, start, end time.Time) {
	x := r.Min.X
	for _, st := range states {
		c.fill(image.Rect(x, r.Max.Y-8, x+8, r.Max.Y), st.color)
		x += 12 + c.text(x+12, r.Max.Y-8, st.text, dimColor, 1) + 12
	}
	if len(data) == 0 {
		return
	}
	labelW := 0
	for _, s := range data {
		labelW = max(labelW, textWidth(s.label, 1))
	}
	plot := image.Rect(r.Min.X+min(labelW, r.Dx()/3)+8, r.Min.Y, r.Max.X, r.Max.Y-20)
	band := min(28, plot.Dy()/len(data))
	t0, t1 := float64(start.Unix()), float64(end.Unix())
	for i, s := range data {
		y := plot.Min.Y + i*band
		for j := range s.ts {
			v := s.vs[j]
			if math.IsNaN(v) || v < 0 || int(v) >= len(states) {
				continue
			}
			next := t1
			if j+1 < len(s.ts) {
				next = s.ts[j+1]
			}
			x0 := plot.Min.X + int(float64(plot.Dx())*(s.ts[j]-t0)/(t1-t0))
			x1 := plot.Min.X + int(float64(plot.Dx())*(next-t0)/(t1-t0))
			c.fill(image.Rect(x0, y+2, max(x1, x0+1), y+band-2), states[int(v)].color)
		}
		c.text(r.Min.X, y+band/2-3, fit(s.label, plot.Min.X-r.Min.X-4, 1), textColor, 1)
	}
}

func (c canvas) drawTimeseries(r image.Rectangle, data []series, unit string, start, end time.Time) {
	// Legend at the bottom, wrapped.
	type entry struct {
		x, line int
		label   string
	}
	var entries []entry
	x, lineN := 0, 0
	for _, s := range data {
		w := 12 + textWidth(s.label, 1) + 12
		if x > 0 && x+w > r.Dx() {
			x, lineN = 0, lineN+1
		}
		entries = append(entries, entry{x, lineN, s.label})
		x += w
	}
	legendH := 0
	if len(entries) > 0 {
		legendH = (lineN + 1) * 12
	}
	for i, e := range entries {
		y := r.Max.Y - legendH + e.line*12
		c.fill(image.Rect(r.Min.X+e.x, y+2, r.Min.X+e.x+8, y+5), palette[i%len(palette)])
		c.text(r.Min.X+e.x+12, y, e.label, dimColor, 1)
	}
	plot := image.Rect(r.Min.X+56, r.Min.Y+4, r.Max.X, r.Max.Y-legendH-16)
	if plot.Dy() < 10 {
		return
	}

	lo, hi := 0.0, math.Inf(-1)
	for _, s := range data {
		for _, v := range s.vs {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(hi, -1) {
		c.text(plot.Min.X+plot.Dx()/2-21, plot.Min.Y+plot.Dy()/2, "NO DATA", dimColor, 1)
		hi = 1
	}
	if hi <= lo {
		hi = lo + 1
	}
	hi = niceCeil(hi)
	for i := range 5 {
		v := lo + (hi-lo)*float64(i)/4
		y := plot.Max.Y - int(float64(plot.Dy())*float64(i)/4)
		c.fill(image.Rect(plot.Min.X, y, plot.Max.X, y+1), gridColor)
		l := formatValue(v, unit)
		c.text(plot.Min.X-6-textWidth(l, 1), y-3, l, dimColor, 1)
	}
	t0, t1 := float64(start.Unix()), float64(end.Unix())
	for i, f := range []float64{0, 0.5, 1} {
		l := time.Unix(int64(t0+(t1-t0)*f), 0).UTC().Format("15:04:05")
		x := plot.Min.X + int(float64(plot.Dx())*f) - []int{0, textWidth(l, 1) / 2, textWidth(l, 1)}[i]
		c.text(x, plot.Max.Y+5, l, dimColor, 1)
	}
	px := func(ts float64) int { return plot.Min.X + int(float64(plot.Dx()-2)*(ts-t0)/(t1-t0)) }
	py := func(v float64) int { return plot.Max.Y - 2 - int(float64(plot.Dy()-2)*(v-lo)/(hi-lo)) }
	for i, s := range data {
		col := palette[i%len(palette)]
		for j := 1; j < len(s.ts); j++ {
			a, b := s.vs[j-1], s.vs[j]
			if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) || s.ts[j]-s.ts[j-1] > 3*(t1-t0)/300+1 {
				continue
			}
			c.line(px(s.ts[j-1]), py(a), px(s.ts[j]), py(b), col)
		}
	}
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p*1.0000001 {
			return m * p
		}
	}
	return 10 * p
}

// formatValue formats v in Grafana's unit.
func formatValue(v float64, unit string) string {
	switch unit {
	case "s":
		switch {
		case v == 0:
			return "0"
		case math.Abs(v) < 1e-3:
			return trim(v*1e6) + "us"
		case math.Abs(v) < 1:
			return trim(v*1e3) + "ms"
		}
		return trim(v) + "s"
	case "bytes":
		for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
			if math.Abs(v) < 1024 || u == "GiB" {
				return trim(v) + " " + u
			}
			v /= 1024
		}
	case "percent":
		return trim(v) + "%"
	case "percentunit":
		return trim(v*100) + "%"
	case "reqps":
		return trim(v) + "/s"
	}
	switch {
	case math.Abs(v) >= 1e6:
		return trim(v/1e6) + "M"
	case math.Abs(v) >= 1e3:
		return trim(v/1e3) + "K"
	}
	return trim(v)
}

// trim formats v with at most three significant digits.
func trim(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if strings.Contains(s, "e") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}
