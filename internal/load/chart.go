package load

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

const (
	chartW  = 1260
	panelH  = 340
	marginL = 70
	marginR = 330 // the legend
	marginT = 40
	marginB = 40
)

// WriteChart writes an SVG with two panels: p99 latency per second of each
// route over the run, and each route's latency by percentile (HDR style, the
// x axis stretching the tail: 90 %, 99 %, 99.9 %, …). Both use a log scale
// for latency, so slow and fast routes share a chart.
func WriteChart(path string, r *Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	writeChart(f, r)
	return f.Close()
}

// yScale maps milliseconds onto a log axis spanning whole decades.
type yScale struct{ lo, hi float64 }

func newYScale(routes []RouteResult) yScale {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, rt := range routes {
		for _, p := range rt.Percentiles {
			if p.Ms > 0 {
				lo, hi = math.Min(lo, p.Ms), math.Max(hi, p.Ms)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0.1, 10
	}
	lo = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 0.01))))
	hi = math.Pow(10, math.Ceil(math.Log10(math.Max(hi, lo*10))))
	return yScale{lo, hi}
}

func (s yScale) y(top int, ms float64) float64 {
	ms = math.Min(math.Max(ms, s.lo), s.hi)
	f := (math.Log10(ms) - math.Log10(s.lo)) / (math.Log10(s.hi) - math.Log10(s.lo))
	return float64(top+panelH-marginB) - f*float64(panelH-marginT-marginB)
}

func writeChart(w io.Writer, r *Result) {
	routes := make([]RouteResult, 0, len(r.Routes))
	for _, rt := range r.Routes {
		if rt.Count-rt.Errors > 0 {
			routes = append(routes, rt)
		}
	}
	ys := newYScale(routes)
	plotW := float64(chartW - marginL - marginR)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", chartW, 2*panelH)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")

	// Panel 1: p99 per second.
	secs := 1
	for _, rt := range routes {
		secs = max(secs, len(rt.Timeline))
	}
	axes(w, 0, ys, fmt.Sprintf("p99 latency per second — %s, %s", r.Scenario, r.URL), "seconds into the run")
	for i := 0; i <= secs; i += max(1, secs/10) {
		x := float64(marginL) + plotW*float64(i)/float64(secs)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x, panelH-marginB+15, i)
	}
	for k, rt := range routes {
		var pts []string
		for _, p := range rt.Timeline {
			if p.Count > 0 {
				x := float64(marginL) + plotW*(float64(p.T)+0.5)/float64(secs)
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, ys.y(0, p.P99)))
			}
		}
		polyline(w, pts, palette[k%len(palette)])
		legend(w, 0, k, rt, palette[k%len(palette)])
	}

	// Panel 2: latency by percentile; x is log10(1/(1-q)), max at the end.
	const decades = 4.0
	axes(w, panelH, ys, "latency by percentile", "percentile")
	for d, label := range []string{"0%", "90%", "99%", "99.9%", "99.99%"} {
		x := float64(marginL) + plotW*float64(d)/(decades+0.5)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, 2*panelH-marginB+15, label)
	}
	fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">max</text>`+"\n", float64(marginL)+plotW, 2*panelH-marginB+15)
	for k, rt := range routes {
		var pts []string
		for _, p := range rt.Percentiles {
			xv := decades + 0.5
			if p.Q < 1 {
				xv = math.Min(math.Log10(1/(1-p.Q)), decades)
			}
			x := float64(marginL) + plotW*xv/(decades+0.5)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, ys.y(panelH, p.Ms)))
		}
		polyline(w, pts, palette[k%len(palette)])
		legend(w, panelH, k, rt, palette[k%len(palette)])
	}
	fmt.Fprintln(w, "</svg>")
}

// axes draws a panel's frame, title and log-scale latency grid.
func axes(w io.Writer, top int, ys yScale, title, xlabel string) {
	x0, x1 := marginL, chartW-marginR
	fmt.Fprintf(w, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", x0, top+22, html.EscapeString(title))
	for v := ys.lo; v <= ys.hi*1.001; v *= 10 {
		y := ys.y(top, v)
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y, x1, y)
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end">%s ms</text>`+"\n", x0-5, y+4, trimFloat(v))
	}
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", x0, top+marginT, x1-x0, panelH-marginT-marginB)
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (x0+x1)/2, top+panelH-5, xlabel)
}

func polyline(w io.Writer, pts []string, color string) {
	if len(pts) == 1 {
		pts = append(pts, pts[0])
	}
	fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", color, strings.Join(pts, " "))
}

func legend(w io.Writer, top, k int, rt RouteResult, color string) {
	x, y := chartW-marginR+15, top+marginT+10+k*18
	fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", x, y-4, x+18, y-4, color)
	fmt.Fprintf(w, `<text x="%d" y="%d">%s (p99 %s ms)</text>`+"\n", x+24, y, html.EscapeString(rt.Route), trimFloat(rt.Latency.P99))
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
