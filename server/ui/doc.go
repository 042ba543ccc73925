// Package ui is the operator console of the reference server: a few
// static files (HTML, CSS and JavaScript modules, no build step and
// nothing fetched from elsewhere) embedded in the binary and served under
// /ui/ by [Handler].
//
// The console signs in with an API key, which it exchanges for a JWT
// through POST /api/auth/token and forgets; the token is kept in the
// page's memory only (never in localStorage, sessionStorage or a cookie),
// so reloading the page signs out. Every API call carries the token as a
// bearer credential, which browsers never attach on their own: there is
// no ambient authority and so no cross-site request forgery. The pages
// are served with a Content-Security-Policy that allows only the
// console's own scripts, styles and images and API calls to the same
// origin ([ContentSecurityPolicy]).
package ui
