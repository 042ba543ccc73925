// Package names holds the naming and paging rules shared by the engine's
// packages: which task type and queue names are usable, and how a requested
// page size is normalized. It is internal so that the rules stay one
// implementation without becoming public API.
package names

// Page size bounds of listings (the same numbers as taskq.DefaultPageSize
// and taskq.MaxPageSize).
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Valid reports whether s is a usable task type or queue name: 1 to max
// characters of letters, digits and ._:-/ only.
func Valid(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '-' || r == ':' || r == '/'
		if !ok {
			return false
		}
	}
	return true
}

// PageLimit normalizes a requested page size: 0 or less gives the default
// (50), more than the maximum (1000) gives the maximum.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return n
}
