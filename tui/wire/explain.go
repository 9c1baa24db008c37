package wire

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"syscall"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/store/secret"
)

// Explain implements tui.Backend: one or two plain sentences saying what
// happened and what to do, for people who never saw a Go error.
func (b *Backend) Explain(err error) string { return Explain(err) }

// Explain turns err into plain words with the next step.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var ae *client.APIError
	var pe *fs.PathError
	switch {
	case client.IsBudgetExhausted(err):
		msg := "Your company's daily Pipedrive API budget is used up."
		if at, ok := client.BudgetResetAt(err); ok && !at.IsZero() {
			msg += " It resets at " + at.Local().Format("15:04 on Jan 2") + "."
		}
		return msg + " What was fetched is saved; run the same sync after the reset to continue."
	case client.IsAuth(err), oauth.NeedsLogin(err):
		return "Pipedrive rejected the credentials. Create a new API token in Pipedrive > Personal preferences > API and connect again."
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusPaymentRequired:
			return "Pipedrive says the company account is inactive or unpaid. Check the subscription in Pipedrive, then try again."
		case ae.Status == http.StatusForbidden:
			return "Pipedrive refused access to this data: the user or plan may lack permission, or Pipedrive is blocking for a while after too many requests. Check the user's permissions, or wait a few minutes and try again."
		case ae.Status == http.StatusNotFound:
			return "Pipedrive did not find this address. Check the company's API address in the profile, or leave it empty for api.pipedrive.com."
		case ae.Status == http.StatusGone:
			return "Pipedrive has retired this part of its API. Update pdx."
		case ae.Status == http.StatusTooManyRequests || ae.Status >= 500:
			return "Pipedrive is busy or having trouble right now (HTTP " + http.StatusText(ae.Status) + "). Try again in a few minutes; what was fetched is saved."
		}
		return "Pipedrive answered with an error (" + http.StatusText(ae.Status) + "). Try again; if it persists, report it."
	case errors.Is(err, app.ErrNoCredentials), errors.Is(err, secret.ErrNotFound):
		return "No credentials are saved for this profile. Connect with an API token first."
	case errors.Is(err, context.DeadlineExceeded):
		return "Pipedrive did not answer in time. Check your internet connection and try again."
	case errors.Is(err, syscall.ENOSPC):
		return "The disk is full. Free some space (or choose another directory) and run the same sync again; nothing already saved is lost."
	case errors.Is(err, fs.ErrPermission):
		where := ""
		if errors.As(err, &pe) {
			where = " (" + pe.Path + ")"
		}
		return "pdx is not allowed to write there" + where + ". Choose another directory."
	case errors.As(err, &pe):
		what := map[string]string{"mkdir": "create the folder", "open": "open", "write": "write to", "rename": "replace", "remove": "remove", "stat": "find", "sync": "save"}[pe.Op]
		if what == "" {
			what = "use"
		}
		reason := pe.Err.Error()
		if errors.Is(pe.Err, fs.ErrNotExist) {
			reason = "a folder on the way does not exist"
		}
		return "pdx could not " + what + " " + pe.Path + " (" + reason + "). Choose another directory, or check the disk."
	case client.IsTransient(err):
		return "Could not reach Pipedrive (a network problem). Check your internet connection and try again; what was fetched is saved."
	}
	// Unknown: still a sentence, with the detail last for a bug report.
	return "Something unexpected went wrong: " + lastPart(err.Error()) + ". Try again; if it keeps happening, report it with this message."
}

// lastPart keeps the innermost cause of a wrapped error message, which is
// the part a person can act on ("mkdir x: not a directory" -> "not a
// directory" keeps too little, so keep the last two parts).
func lastPart(msg string) string {
	parts := strings.Split(msg, ": ")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.TrimSuffix(strings.Join(parts, ": "), ".")
}
