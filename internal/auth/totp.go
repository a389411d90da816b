package auth

import "github.com/pquerna/otp/totp"

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: 6}
