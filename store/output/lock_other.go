//go:build !unix

package output

import "os"

// Elsewhere (Windows) runs are not serialised; documented as a limitation.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
