package auth_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
)

func TestPrincipalPermissions(t *testing.T) {
	t.Parallel()
	admin := auth.Principal{ID: "admin", Role: auth.RoleAdmin}
	user := auth.Principal{ID: "k1", Role: auth.RoleUser, KeyID: "k1"}
	require.True(t, admin.CanAdmin())
	require.True(t, admin.CanAccessTask("k1"))
	require.True(t, admin.CanAccessTask(""))
	require.False(t, user.CanAdmin())
	require.True(t, user.CanAccessTask("k1"))
	require.False(t, user.CanAccessTask("k2"))
	require.False(t, user.CanAccessTask(""))
	var zero auth.Principal
	require.False(t, zero.CanAdmin())
	require.False(t, zero.CanAccessTask(""))
	require.False(t, auth.Principal{Role: auth.RoleUser}.CanAccessTask(""))
	require.False(t, auth.Principal{ID: "x", Role: "root"}.CanAccessTask("x"))
}
