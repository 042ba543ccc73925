//go:build !race

package server

// raceEnabled reports a build with the race detector, which multiplies
// the memory a test uses.
const raceEnabled = false
