package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/jumpgate/jumpgate/cli/internal/channel"
)

// progressFor returns a transfer's display: a bar on w when w is a terminal
// and quiet is not set, else nothing. isTerminal is channel.IsTerminal
// outside tests.
func progressFor(w io.Writer, label string, quiet bool, isTerminal func(any) bool) channel.Progress {
	if quiet || !isTerminal(w) {
		return channel.NoProgress{}
	}
	return &barProgress{w: w, label: label}
}

// barProgress draws a progress bar of bytes, with rate and time left.
type barProgress struct {
	w     io.Writer
	label string
	bar   *progressbar.ProgressBar
}

// Start begins (or, for a restarted transfer, begins again) the bar.
func (p *barProgress) Start(total, done int64) {
	if p.bar != nil {
		_ = p.bar.Exit()
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(p.label),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
	)
	_ = p.bar.Set64(done)
}

// Add counts transferred bytes.
func (p *barProgress) Add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// Finish leaves the bar as it is, on its own line.
func (p *barProgress) Finish() {
	if p.bar != nil && !p.bar.IsFinished() {
		_ = p.bar.Exit()
	}
	p.bar = nil
}

// formatBytes renders a byte count for people: 512 B, 1.5 KiB, 3.2 GiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
