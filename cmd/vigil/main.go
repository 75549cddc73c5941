// Command vigil is the Vigil server and its operator tools.
//
//	vigil [serve]                      run the server (the default)
//	vigil migrate up|down|status       manage the database schema
//	vigil migrate create NAME          start a new migration file
//	vigil auth backfill                give legacy users credential accounts
//	vigil bench SCENARIO [flags]       put load on a running server and measure
//	vigil version                      print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigil-oss/vigil/cmd/vigil/bench"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: vigil [command]

commands:
  serve                      run the server (default)
  migrate up|down|status     apply, roll back one, or list migrations
  migrate create NAME        write a new empty migration under ./migrations
  auth backfill              create credential accounts for legacy password hashes
  bench SCENARIO [flags]     load a running server (connections, commands, motion, sfu, auth)
  version                    print the version
  help                       print this text
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if errors.Is(err, bench.ErrUsage) {
		os.Exit(2) // bench has printed its own usage
	}
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		if len(args) > 0 {
			return errUsage
		}
		return serve(ctx)
	case "migrate":
		return migrate(ctx, args)
	case "bench":
		return bench.Run(ctx, args, os.Stdout, os.Stderr)
	case "auth":
		if len(args) == 1 && args[0] == "backfill" {
			return backfill(ctx)
		}
	case "version", "--version", "-v":
		fmt.Println("vigil", version)
		return nil
	case "help", "--help", "-h":
		fmt.Print(usage)
		return nil
	}
	return errUsage
}
