package sdk

import (
	"io"
	"log/slog"
)

// Keys every robot's log lines use, so that one query finds a run's lines,
// or one item's lines across runs, whatever the robot.
const (
	// LogKeyRun holds the RobotRun's name.
	LogKeyRun = "run"
	// LogKeyRobot holds the Robot's name.
	LogKeyRobot = "robot"
	// LogKeyItem holds the reference of the item in hand: a case number,
	// an event id, a certificate number.
	LogKeyItem = "item"
)

// NewLogger returns a logger writing JSON lines to w (the container's
// stdout) with the run's name and robot on every line. Log which credential
// you use, never what it holds; Secret takes care of the values.
func NewLogger(w io.Writer, run *Run) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, nil)).With(LogKeyRun, run.Name, LogKeyRobot, run.Robot)
}
