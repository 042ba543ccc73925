package metrics_test

import (
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRenderHelpers checks the pieces of the dashboard renderer that do
// not need Prometheus.
func TestRenderHelpers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{0, "s", "0"}, {0.0004, "s", "400us"}, {0.0125, "s", "12.5ms"}, {2.5, "s", "2.5s"},
		{3 << 20, "bytes", "3 MiB"}, {12.5, "percent", "12.5%"}, {0.25, "percentunit", "25%"},
		{1.5, "reqps", "1.5/s"}, {1500, "short", "1.5K"}, {2e6, "", "2M"}, {7, "", "7"},
	} {
		require.Equal(t, c.want, formatValue(c.v, c.unit), "%v %s", c.v, c.unit)
	}
	for in, want := range map[float64]float64{0.7: 1, 1: 1, 1.2: 2, 2.2: 2.5, 3: 5, 7: 10, 130: 200, 0.03: 0.05} {
		require.InDelta(t, want, niceCeil(in), 1e-9, "niceCeil(%v)", in)
	}
	require.Equal(t, "abcdef", fit("abcdef", 36, 1))
	require.Equal(t, "abc..", fit("abcdefgh", 30, 1))

	// Every glyph but the space has pixels, and no two glyphs are equal.
	seen := map[[7]uint8]rune{}
	for r, g := range font5x7 {
		if r == ' ' {
			continue
		}
		require.NotEqual(t, [7]uint8{}, g, "glyph %q is empty", r)
		other, dup := seen[g]
		require.False(t, dup, "glyphs %q and %q are equal", r, other)
		seen[g] = r
	}

	// Text lands where asked, scaled; lower case is drawn as upper case.
	c := canvas{image.NewRGBA(image.Rect(0, 0, 40, 20))}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	require.Equal(t, 24, c.text(2, 3, "Ab", white, 2))
	require.Equal(t, white, c.img.RGBAAt(2+2*2, 3)) // 'A' row 0 is .###.
	require.NotEqual(t, white, c.img.RGBAAt(2, 3))
	lower := canvas{image.NewRGBA(image.Rect(0, 0, 40, 20))}
	lower.text(2, 3, "aB", white, 2)
	require.Equal(t, c.img.Pix, lower.img.Pix)
}
