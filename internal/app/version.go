package app

// Version is qmonit's version, set at build time with
// -ldflags "-X github.com/qmonit/qmonit/internal/app.Version=...".
var Version = "dev"
