package cli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strings"

	"mashang/internal/auth"
	"mashang/internal/config"
)

// readPassword reads one line of standard input: a password.
func readPassword(e *Env) (string, error) {
	pw, err := bufio.NewReader(io.LimitReader(e.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	pw = strings.TrimRight(pw, "\r\n")
	if pw == "" {
		return "", usageError("give the password on standard input")
	}
	return pw, nil
}

func userPasswdCommand() *command {
	return &command{
		name: "user passwd", short: "set a staff account's password, read from standard input (one line); ends every session and token of the user",
		long:  "For the console: a forgotten password, or the last admin locked out.\nExample: echo 'a new long passphrase' | mashang user passwd --username wang",
		flags: func(fs *flag.FlagSet) any { return fs.String("username", "", "the user's name") },
		run: func(e *Env, cfg *config.Config, fs *flag.FlagSet, extra any) error {
			username := *extra.(*string)
			if username == "" {
				return usageError("--username is required")
			}
			pw, err := readPassword(e)
			if err != nil {
				return err
			}
			a, err := e.open(cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Auth.SetPassword(e.Ctx, auth.System("cli"), username, pw); err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "password of %s changed; every session and token of the user ended\n", username)
			return nil
		},
	}
}
