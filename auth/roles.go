package auth

// Role is what a principal may do.
type Role string

// The roles.
const (
	// RoleAdmin may do everything.
	RoleAdmin Role = "admin"
	// RoleUser may create tasks and see and cancel its own.
	RoleUser Role = "user"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleUser }

// AdminPrincipalID is the principal of the bootstrap admin key
// (TASKQ_ADMIN_KEY) and the sub of the JWTs issued for it.
const AdminPrincipalID = "admin"

// Principal is an authenticated caller.
type Principal struct {
	// ID names the principal: an API key's id, or AdminPrincipalID for the
	// bootstrap admin key. Tasks belong to it.
	ID string
	// Role is what the principal may do.
	Role Role
	// KeyID is the id of the stored API key behind the credentials; empty
	// for the bootstrap admin key.
	KeyID string
}

// CanAdmin reports whether p may use the admin endpoints (DLQ, keys).
func (p Principal) CanAdmin() bool { return p.Role == RoleAdmin }

// CanAccessTask reports whether p may see or cancel a task owned by owner:
// admins see every task, users only their own. A zero Principal may see
// nothing.
func (p Principal) CanAccessTask(owner string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleUser:
		return p.ID != "" && p.ID == owner
	}
	return false
}
