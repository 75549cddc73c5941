package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// readyTimeout bounds each readiness check, so a hung dependency makes
// /readyz answer 503 instead of hanging the probe.
const readyTimeout = 2 * time.Second

// healthz says the process is up. It touches no dependency: a database
// outage must not get a healthy process restarted.
//
//	@Summary	Liveness: the process is up
//	@Tags	operations
//	@Produce	json
//	@Success	200 {object} object{status=string}
//	@Router	/healthz [get]
func healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

type readyResponse struct {
	Status  string            `json:"status"`
	Checks  map[string]string `json:"checks"`
	Code    string            `json:"code,omitempty"`
	Message string            `json:"message,omitempty"`
}

// readyz runs every check and answers 503 when any fails.
//
//	@Summary	Readiness: database and storage reachable
//	@Tags	operations
//	@Produce	json
//	@Success	200 {object} readyResponse
//	@Failure	503 {object} readyResponse "a dependency is down (code NOT_READY)"
//	@Router	/readyz [get]
func readyz(checks []Check) fiber.Handler {
	return func(c *fiber.Ctx) error {
		resp := readyResponse{Status: "ready", Checks: make(map[string]string, len(checks))}
		status := fiber.StatusOK
		for _, ch := range checks {
			ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
			err := ch.Check(ctx)
			cancel()
			if err != nil {
				resp.Checks[ch.Name] = "down"
				resp.Status, resp.Code = "not_ready", "NOT_READY"
				resp.Message = "a dependency is down: see checks"
				status = fiber.StatusServiceUnavailable
				continue
			}
			resp.Checks[ch.Name] = "ok"
		}
		return c.Status(status).JSON(resp)
	}
}
