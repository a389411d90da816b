package cli

import "mashang/internal/auth"

func roleOf(s string) auth.Role { return auth.Role(s) }
