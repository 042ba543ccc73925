// Package deps pins the module's chosen dependencies while the packages that
// use them are written; it is removed once each dependency has a user.
package deps

import (
	_ "github.com/failsafe-go/failsafe-go"
	_ "github.com/failsafe-go/failsafe-go/circuitbreaker"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/lestrrat-go/jwx/v2/jwt"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/redis/rueidis"
	_ "github.com/stretchr/testify/require"
	_ "go.uber.org/goleak"
)
