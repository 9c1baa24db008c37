package app

// The one place that turns an error into advice for a person. What can be
// done about a Pipedrive answer is client.Classify's (and its advice is
// client.Class.Advice, which Pipedrive's error messages carry too); this
// adds what only the application knows: saved credentials, files, disks.

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"syscall"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/oauth"
	"github.com/pdxhq/pdx/store/secret"
)

// Explain turns err into one or two plain sentences saying what happened
// and what to do, for people who never saw a Go error (the UI).
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var ae *client.APIError
	var pe *fs.PathError
	class := client.Classify(err)
	switch {
	case class == client.ClassBudget:
		msg := "Your company's daily Pipedrive API budget is used up."
		if at, ok := client.BudgetResetAt(err); ok && !at.IsZero() {
			msg += " It resets around " + at.Local().Format("15:04 on Jan 2") + " (an estimate until pdx has seen a reset)."
		}
		return msg + " What was fetched is saved; run the same sync after the reset to continue."
	case class.UserMustFix(), class == client.ClassBusy:
		return class.Advice() + "."
	case errors.As(err, &ae):
		return "Pipedrive answered with an error (" + http.StatusText(ae.Status) + "). Try again; if it persists, report it."
	case errors.Is(err, ErrNoCredentials), errors.Is(err, secret.ErrNotFound):
		return "No credentials are saved for this profile. Connect with an API token first."
	case errors.Is(err, context.DeadlineExceeded):
		return client.ClassTimeout.Advice() + "."
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
	case class == client.ClassNetwork:
		return class.Advice() + "."
	}
	// Unknown: still a sentence, with the detail last for a bug report.
	return "Something unexpected went wrong: " + lastPart(err.Error()) + ". Try again; if it keeps happening, report it with this message."
}

// Hint is Explain for a reader who also sees err's own text (the CLI's
// error line, the plain progress printer): "" when that text already says
// what to do (Pipedrive's answers, the budget and the OAuth sign-in's
// errors carry their advice) or when nothing better than it is known.
func Hint(err error) string {
	var oe *oauth.Error
	switch c := client.Classify(err); {
	case err == nil, errors.As(err, &oe):
		return ""
	case c.UserMustFix(), c == client.ClassBusy, c == client.ClassBudget, c == client.ClassCanceled:
		return ""
	case c == client.ClassUnknown && !localCause(err):
		return ""
	}
	return Explain(err)
}

// localCause reports the unclassified errors Explain still has advice for:
// missing credentials, a full disk, files and folders.
func localCause(err error) bool {
	var pe *fs.PathError
	return errors.Is(err, ErrNoCredentials) || errors.Is(err, secret.ErrNotFound) ||
		errors.Is(err, syscall.ENOSPC) || errors.As(err, &pe)
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
